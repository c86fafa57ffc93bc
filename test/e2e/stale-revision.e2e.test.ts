// A KCLRun revision that passes the CRD's schema but fails kclguard's own (here: recoveryPolicy
// contradicting failureAction) reaches kclguard only when its validating webhook was bypassed;
// the namespace of the policy is excluded from the webhook for that. The last valid revision must
// keep acting, and the elected replica must say so in status: Stale True, Ready False
// (StaleRevision), Compiled False about the rejected generation. A valid revision clears it; a
// deletion removes the policy. Reviews are sent to kclguard directly (the namespace is excluded
// from the webhook, but not from kclguard's engine).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { startKclguard, type RunningKclguard } from './harness/kclguard.js';
import { applyPolicies, configMap, deleteNamespace, freshNamespace, getPolicy, grant, installCrds, kclRun } from './harness/cluster-objects.js';
import { apply, eventually, kubectl, manifests } from './harness/kubectl.js';

const WEBHOOK_NAME = 'kclguard-e2e-stale';
let kclguard: RunningKclguard | undefined;
let namespace = '';

beforeAll(async () => {
  await installCrds();
  namespace = await freshNamespace('e2e-stale');
  kclguard = await startKclguard({ webhookName: WEBHOOK_NAME, extraArgs: ['--excluded-namespaces', namespace] });
});

afterAll(async () => {
  await kclguard?.stop();
  if (namespace) await deleteNamespace(namespace);
});

function post(path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${kclguard!.url}${path}`,
      { method: path === '/metrics' ? 'GET' : 'POST', ca: readFileSync(process.env.KCLGUARD_E2E_CA_CERT!, 'utf8'), headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(path === '/metrics' ? undefined : body);
  });
}

/** What kclguard answers for a ConfigMap CREATE in the test namespace. */
async function review(): Promise<{ allowed: boolean; message?: string }> {
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `e2e-stale-${Date.now()}`,
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      namespace,
      name: 'probe',
      operation: 'CREATE',
      userInfo: { username: 'e2e' },
      object: configMap(namespace, 'probe'),
      dryRun: false,
    },
  });
  const answer = await post('/validate', body);
  const response = JSON.parse(answer.text).response as { allowed: boolean; status?: { message?: string } };
  return { allowed: response.allowed, ...(response.status?.message !== undefined ? { message: response.status.message } : {}) };
}

type Conditions = Record<string, { status: string; reason: string; message: string; observedGeneration?: number }>;

async function conditions(): Promise<{ generation?: number; observedGeneration?: number; byType: Conditions }> {
  const policy = await getPolicy('kclrun', 'deny-configmaps', namespace);
  return {
    generation: policy.metadata.generation,
    observedGeneration: policy.status?.observedGeneration,
    byType: Object.fromEntries((policy.status?.conditions ?? []).map((c) => [c.type, c])),
  };
}

const denyConfigMaps = (tag: string, extra: Record<string, unknown> = {}) =>
  kclRun(namespace, 'deny-configmaps', {
    mode: 'Validate',
    selector: { resourceKind: 'ConfigMap' },
    failureAction: 'abort',
    source: `assert False, "KGE2E-STALE-${tag}: no ConfigMaps here"\n`,
    ...extra,
  });

describe('a KCLRun revision that fails the schema', () => {
  it('keeps the last valid revision acting, marked Stale in status and metrics, until a valid revision or a deletion', async () => {
    // The policy's ServiceAccount may validate ConfigMaps: its violations count.
    await apply(manifests(...grant(namespace, 'may-validate', ['validate'], ['configmaps'])));
    await applyPolicies(denyConfigMaps('V1'));
    expect(await review()).toMatchObject({ allowed: false, message: expect.stringContaining('KGE2E-STALE-V1') });

    // Passes the CRD, fails kclguard: recoveryPolicy skip contradicts failureAction abort.
    await apply(manifests(denyConfigMaps('V2', { recoveryPolicy: 'skip' })));
    let seen: Awaited<ReturnType<typeof conditions>> | undefined;
    const marked = await eventually(async () => {
      seen = await conditions();
      return seen.byType.Stale?.status === 'True' && seen.observedGeneration === seen.generation;
    });
    expect({ marked, seen }).toMatchObject({ marked: true });
    expect(seen!.byType.Ready).toMatchObject({ status: 'False', reason: 'StaleRevision' });
    expect(seen!.byType.Compiled).toMatchObject({ status: 'False', reason: 'SpecInvalid', message: expect.stringContaining('spec.recoveryPolicy') });
    expect(seen!.byType.Stale!.message).toContain(`generation ${seen!.generation} is invalid`);
    expect(seen!.byType.Stale!.message).toContain(`generation ${seen!.generation! - 1} stays in force`);
    // The last valid revision still denies.
    expect(await review()).toMatchObject({ allowed: false, message: expect.stringContaining('KGE2E-STALE-V1') });
    expect((await post('/metrics', '')).text).toContain(`kclguard_policy_stale{policy="${namespace}/deny-configmaps"} 1`);

    // A valid revision replaces it; the Stale condition goes.
    await applyPolicies(denyConfigMaps('V3'));
    const fresh = await eventually(async () => {
      seen = await conditions();
      return seen.byType.Stale === undefined && seen.byType.Ready?.status === 'True';
    });
    expect({ fresh, seen }).toMatchObject({ fresh: true });
    expect(await review()).toMatchObject({ allowed: false, message: expect.stringContaining('KGE2E-STALE-V3') });

    // A deletion removes it, stale or not.
    await apply(manifests(denyConfigMaps('V4', { recoveryPolicy: 'skip' })));
    expect(await eventually(async () => (await conditions()).byType.Stale?.status === 'True')).toBe(true);
    await kubectl(['delete', 'kclrun', 'deny-configmaps', '-n', namespace]);
    expect(await eventually(async () => (await review()).allowed)).toBe(true);
    expect(await eventually(async () => !(await post('/metrics', '')).text.includes(`${namespace}/deny-configmaps`))).toBe(true);
  });
});
