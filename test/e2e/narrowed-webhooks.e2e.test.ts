// Narrowed webhooks (issue 18) on the real API server: kclguard registers only what its
// policies select, Fail or Ignore per policy, and the API server's own request counter proves
// that unselected writes never reach it. With every replica stopped, what is admitted follows
// each policy's failureAction. Deleting a policy removes its rules.
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { applyPolicies, configMap, deleteNamespace, freshNamespace, getPolicy, grant, installCrds, kclRun } from './harness/cluster-objects.js';
import { deleteWebhookConfigurations, startKclguard, type RunningKclguard } from './harness/kclguard.js';
import { apply, create, eventually, kubectl, manifests } from './harness/kubectl.js';
import { rulesReach } from '../../src/cluster/rule-overlap.js';
import { EXCLUDED_RESOURCES } from '../../src/cluster/webhook-registration.js';

const WEBHOOK_NAME = 'kclguard-e2e-narrowed';
const FAIL = 'fail.validate.kclguard.krm.kcl.dev';
const IGNORE = 'ignore.validate.kclguard.krm.kcl.dev';
const PASS = 'items = option("items")\n';

let kclguard: RunningKclguard | undefined;
const namespaces: string[] = [];

afterAll(async () => {
  await kclguard?.stop();
  await deleteWebhookConfigurations(WEBHOOK_NAME);
  for (const ns of namespaces) await deleteNamespace(ns);
});

interface StoredWebhook {
  name: string;
  failurePolicy: string;
  rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
  /** Absent when the webhook has none. */
  matchConditions?: { name: string; expression: string }[];
}

async function validatingWebhooks(): Promise<{ webhooks: StoredWebhook[]; annotations: Record<string, string> }> {
  const stored = JSON.parse((await kubectl(['get', 'validatingwebhookconfiguration', WEBHOOK_NAME, '-o', 'json'])).stdout);
  return { webhooks: stored.webhooks ?? [], annotations: stored.metadata.annotations ?? {} };
}

async function mutatingAnnotations(): Promise<Record<string, string>> {
  return JSON.parse((await kubectl(['get', 'mutatingwebhookconfiguration', WEBHOOK_NAME, '-o', 'json'])).stdout).metadata.annotations ?? {};
}

/**
 * The policies the annotation lists under one webhook. Other test files leave KCLRuns behind in
 * their namespaces (there is no namespace controller), and kclguard registers those too, so the
 * assertions are about this file's policies.
 */
function listedUnder(annotation: string | undefined, webhook: string): string[] {
  const lines = (annotation ?? '').split('\n');
  const start = lines.findIndex((line) => line.startsWith(`${webhook} `));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && !line.startsWith(' '));
  return lines.slice(start + 1, end < 0 ? undefined : end).map((line) => line.trim());
}

/** The API server's count of calls to kclguard's webhooks (every name narrowed mode uses). */
async function apiServerWebhookCalls(): Promise<number> {
  const metrics = (await kubectl(['get', '--raw', '/metrics'])).stdout;
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_admission_webhook_request_total{')) continue;
    if (!/name="(fail|ignore)\.(mutate|validate)\.kclguard\.krm\.kcl\.dev"/.test(line)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** kclguard's own count of admission reviews answered (its /metrics, over TLS with the e2e CA). */
function kclguardReviews(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${url}/metrics`, { ca: readFileSync(process.env.KCLGUARD_E2E_CA_CERT!) }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        let total = 0;
        for (const line of body.split('\n')) if (line.startsWith('kclguard_admission_requests_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
        resolve(total);
      });
    }).on('error', reject);
  });
}

async function waitForReady(namespace: string, name: string): Promise<void> {
  const ready = await eventually(async () => {
    const policy = await getPolicy('kclrun', name, namespace);
    return policy.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  });
  if (!ready) throw new Error(`${namespace}/${name} never became Ready: ${JSON.stringify(await getPolicy('kclrun', name, namespace))}\n${kclguard?.output()}`);
}

const secret = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: { k: 'v' } });
const event = (namespace: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace },
  involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name, namespace },
  reason: 'Probe',
  message: 'an Event no webhook of kclguard may get',
  type: 'Normal',
});
const lease = (namespace: string, name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { holderIdentity: 'e2e' } });

describe('narrowed webhooks', () => {
  let selectedNs = '';
  // With no other policies in the cluster, the last one deleted leaves only kclguard's own check:
  // asserted in webhook-controller.test.ts; here other files' leftover KCLRuns stay registered.
  let otherNs = '';

  it('register only what the policies select, Fail for abort and Ignore for warn; unselected writes never reach kclguard', async () => {
    await installCrds();
    selectedNs = await freshNamespace('e2e-narrow-sel');
    otherNs = await freshNamespace('e2e-narrow-other');
    namespaces.push(selectedNs, otherNs);
    // RBACPermissionsGranted must be True too for Ready to be about the webhooks alone.
    await apply(manifests(...grant(selectedNs, 'validate-configmaps', ['validate'], ['configmaps'])));
    kclguard = await startKclguard({ webhookName: WEBHOOK_NAME, narrowed: true });
    await applyPolicies(
      kclRun(selectedNs, 'strict', { source: PASS, mode: 'Validate', failureAction: 'abort', selector: { resourceKind: 'ConfigMap', matchLabels: { tier: 'strict' } } }),
      kclRun(selectedNs, 'advice', { source: PASS, mode: 'Validate', failureAction: 'warn', selector: { resourceKind: 'ConfigMap' } }),
    );
    // Ready only once the registered configurations cover each policy.
    await waitForReady(selectedNs, 'strict');
    await waitForReady(selectedNs, 'advice');

    const { webhooks, annotations } = await validatingWebhooks();
    const fail = webhooks.find((w) => w.name === FAIL)!;
    const ignore = webhooks.find((w) => w.name === IGNORE)!;
    expect(fail.failurePolicy).toBe('Fail');
    expect(ignore.failurePolicy).toBe('Ignore');
    expect(fail.rules).toContainEqual({ apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'], scope: '*' });
    expect(JSON.stringify(fail.rules)).not.toContain('secrets');
    expect(ignore.matchConditions!.map((c) => c.name)).toEqual(expect.arrayContaining(['selected-by-policies', 'not-sent-to-fail-webhook']));
    expect(fail.matchConditions!.find((c) => c.name === 'selected-by-policies')!.expression).toContain(`// ${selectedNs}/strict`);
    // A static exclusion only where the webhook's rules reach what it excludes (whatever other
    // files' policies left registered): each condition costs the API server CPU on every call.
    for (const webhook of [fail, ignore]) {
      const reached = Object.keys(EXCLUDED_RESOURCES).filter((name) => EXCLUDED_RESOURCES[name]!.some((resource) => rulesReach(webhook.rules, resource)));
      expect((webhook.matchConditions ?? []).map((c) => c.name).filter((name) => name in EXCLUDED_RESOURCES)).toEqual(reached);
    }
    expect(annotations['kclguard.krm.kcl.dev/webhook-mode']).toBe('narrowed');
    const policies = annotations['kclguard.krm.kcl.dev/policies'];
    expect(listedUnder(policies, FAIL)).toContain(`${selectedNs}/strict [abort]`);
    expect(listedUnder(policies, IGNORE)).toContain(`${selectedNs}/advice [warn]`);
    expect(listedUnder(policies, IGNORE)).not.toContain(`${selectedNs}/strict [abort]`);
    // Validate policies only: nothing of theirs in the mutating configuration.
    expect((await mutatingAnnotations())['kclguard.krm.kcl.dev/policies'] ?? '').not.toContain(selectedNs);
    expect(kclguard.output()).toContain('webhook configurations updated');

    // The API server reads webhook configurations from an informer: wait until it sends a selected write.
    const url = kclguard.url;
    let probes = 0;
    const sent = await eventually(async () => {
      const before = await kclguardReviews(url);
      await kubectl(['create', '--dry-run=server', '-f', '-'], { input: manifests(configMap(selectedNs, `probe-${probes++}`)) });
      return (await kclguardReviews(url)) > before;
    });
    expect(sent).toBe(true);

    // Unselected writes, and an Event and a Lease: the static exclusions left out above (the rules
    // cannot reach them) must not have let these through; the API server's own counter says so.
    const apiBefore = await apiServerWebhookCalls();
    const kclguardBefore = await kclguardReviews(kclguard.url);
    const unselected = [secret(selectedNs, 'not-selected'), configMap(otherNs, 'elsewhere', { labels: { tier: 'strict' } }), event(selectedNs, 'probe'), lease(selectedNs, 'probe')];
    expect((await create(manifests(...unselected))).code).toBe(0);
    expect(await apiServerWebhookCalls()).toBe(apiBefore);
    expect(await kclguardReviews(kclguard.url)).toBe(kclguardBefore);

    // The counters do move for a selected write, so the check above means something.
    expect((await create(manifests(configMap(selectedNs, 'selected')))).code).toBe(0);
    expect(await apiServerWebhookCalls()).toBe(apiBefore + 1);
    expect(await kclguardReviews(kclguard.url)).toBe(kclguardBefore + 1);
  });

  it('with every replica stopped: warn-only selected is admitted, abort-selected denied, unselected admitted', async () => {
    await kclguard!.kill();
    expect((await create(manifests(configMap(selectedNs, 'warn-only-while-down')))).code).toBe(0);
    const denied = await create(manifests(configMap(selectedNs, 'abort-while-down', { labels: { tier: 'strict' } })), { allowFailure: true });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`failed calling webhook "${FAIL}"`);
    expect((await kubectl(['get', 'configmap', 'abort-while-down', '-n', selectedNs], { allowFailure: true })).code).not.toBe(0);
    expect((await create(manifests(configMap(otherNs, 'unselected-while-down', { labels: { tier: 'strict' } }), secret(selectedNs, 'secret-while-down')))).code).toBe(0);
  });

  it("deleting a policy removes its rules", async () => {
    kclguard = await startKclguard({ webhookName: WEBHOOK_NAME, narrowed: true });
    await kubectl(['delete', 'kclrun', 'strict', '-n', selectedNs]);
    const strictGone = await eventually(async () => {
      const { webhooks, annotations } = await validatingWebhooks();
      return !annotations['kclguard.krm.kcl.dev/policies']!.includes(`${selectedNs}/strict`) && !JSON.stringify(webhooks.find((w) => w.name === FAIL) ?? {}).includes(selectedNs);
    });
    expect(strictGone).toBe(true);
    await kubectl(['delete', 'kclrun', 'advice', '-n', selectedNs]);
    const allGone = await eventually(async () => {
      const { webhooks, annotations } = await validatingWebhooks();
      return !annotations['kclguard.krm.kcl.dev/policies']!.includes(selectedNs) && !JSON.stringify(webhooks).includes(selectedNs);
    });
    expect(allGone).toBe(true);
    // Once the API server has the new configuration, a write the policies selected is not sent.
    let writes = 0;
    const notSent = await eventually(async () => {
      const before = await apiServerWebhookCalls();
      await create(manifests(configMap(selectedNs, `after-delete-${writes++}`, { labels: { tier: 'strict' } })));
      return (await apiServerWebhookCalls()) === before;
    });
    expect(notSent).toBe(true);
  });
});
