/**
 * Background audit with the real engine and real KCL policies, fake object caches and an
 * in-memory report API: what existing objects are judged by (the same selection, consent and
 * RBAC as admission), how reports follow fixes and deleted policies, errors that are never passes,
 * bounded runs, and that only the elected replica audits. Time is faked; nothing waits on a clock.
 */
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import {
  createAdmissionHandler,
  InProcessExecutor,
  kclCompiler,
  Lookups,
  PolicySet,
  StaticLookupSource,
  type AuthorizationAttributes,
  type LookupKind,
  type ServedKind,
} from '../engine/index.js';
import { clusterKclRun, kclRun } from '../engine/testing/fixtures.js';
import { AuditController, type AuditCaches } from './audit-controller.js';
import { ReportWriter } from './report-writer.js';
import { FakeReports } from './testing/fake-reports.js';

type Json = Record<string, unknown>;

const CONFIGMAP: ServedKind = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const INGRESS: ServedKind = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress', namespaced: true };

const REQUIRE_TEAM = `_object = option("items")[0]
_labels = _object.metadata.labels or {}
_name = _object.metadata.name
assert "team" in _labels, "ConfigMap \${_name} needs a team label"
`;

const REQUIRE_TEAM_POLICY = kclRun('require-team', 'team-a', { source: REQUIRE_TEAM, mode: 'Validate', selector: { resourceKind: 'ConfigMap' } });

function configMap(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Json {
  return { metadata: { name, namespace: 'team-a', uid: `uid-${name}`, labels, annotations }, data: {} };
}

/** Object caches holding the given objects, every kind listed. */
class FakeCaches implements AuditCaches {
  readonly demands: LookupKind[][] = [];
  private readonly listeners: ((served: ServedKind) => void)[] = [];
  constructor(public objects: Map<string, Json[]>) {}
  async demand(_owner: string, kinds: readonly LookupKind[]): Promise<void> {
    this.demands.push([...kinds]);
  }
  list(served: ServedKind): readonly Json[] {
    return this.objects.get(served.resource) ?? [];
  }
  isListed(): boolean {
    return true;
  }
  onChange(listener: (served: ServedKind) => void): () => void {
    this.listeners.push(listener);
    return () => undefined;
  }
  changed(served: ServedKind): void {
    for (const listener of this.listeners) listener(served);
  }
}

interface Setup {
  readonly policies: PolicySet;
  readonly caches: FakeCaches;
  readonly reports: FakeReports;
  readonly controller: AuditController;
  readonly checks: AuthorizationAttributes[];
}

/** Reports that cannot be listed for the first `failures` attempts (429: a new CRD's storage initializing). */
class FlakyReports extends FakeReports {
  listAttempts = 0;
  constructor(private failures: number) {
    super();
  }
  override async list() {
    this.listAttempts += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('HTTP-Code: 429');
    }
    return super.list();
  }
}

async function setup(
  docs: Json[],
  objects: Map<string, Json[]>,
  options: { deny?: (a: AuthorizationAttributes) => boolean; maxObjects?: number; reports?: FakeReports } = {},
): Promise<Setup> {
  const checks: AuthorizationAttributes[] = [];
  const allowed = (a: AuthorizationAttributes): boolean => {
    checks.push(a);
    return !(options.deny?.(a) ?? false);
  };
  const lookups = new Lookups({ source: new StaticLookupSource([...objects.values()].flat(), () => ({ resource: 'ingresses', namespaced: true })), syncAuthorizer: (_sa, a) => allowed(a) });
  const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler, lookups }) });
  await policies.replace(docs.map((doc) => ({ doc })));
  const handler = createAdmissionHandler({ policies, authorizer: async (_sa, a) => allowed(a), exempt: async () => false });
  const caches = new FakeCaches(objects);
  const reports = options.reports ?? new FakeReports();
  const controller = new AuditController({
    policies: () => policies.snapshot(),
    handler,
    caches,
    kinds: async (kind) => [CONFIGMAP, INGRESS].filter((k) => k.kind === kind),
    writer: new ReportWriter(reports),
    authorizer: async (_sa, a) => allowed(a),
    intervalMs: 3_600_000,
    debounceMs: 10_000,
    maxObjects: options.maxObjects ?? 100,
    now: () => 1_700_000_000_000,
  });
  return { policies, caches, reports, controller, checks };
}

function results(reports: FakeReports): string[] {
  return [...reports.stored.values()].flatMap((r) => r.results.map((x) => `${r.metadata.namespace ?? 'cluster'} ${x.resources[0]!.name} ${x.policy} ${x.result}`)).sort();
}

afterEach(() => {
  jest.useRealTimers();
});

describe('background audit', () => {
  test('a violating object created before the policy is reported; fixed, it passes; the policy deleted, its results go', async () => {
    const objects = new Map([['configmaps', [configMap('bad'), configMap('good', { team: 'a' })]]]);
    const { policies, caches, reports, controller } = await setup([REQUIRE_TEAM_POLICY], objects);
    expect(await controller.run()).toMatchObject({ outcome: 'completed', checked: 2, reports: 1 });
    expect(results(reports)).toEqual(['team-a bad team-a/require-team fail', 'team-a good team-a/require-team pass']);
    const report = [...reports.stored.values()][0]!;
    expect(report).toMatchObject({ kind: 'PolicyReport', metadata: { name: 'kclguard', namespace: 'team-a' }, summary: { pass: 1, fail: 1 } });
    expect(report.results.find((r) => r.result === 'fail')).toMatchObject({ message: expect.stringContaining('ConfigMap bad needs a team label'), severity: 'medium', resources: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'bad', namespace: 'team-a', uid: 'uid-bad' }] });
    expect(caches.demands.at(-1)).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap' }]);

    caches.objects.set('configmaps', [configMap('bad', { team: 'a' }), configMap('good', { team: 'a' })]);
    await controller.run();
    expect(results(reports)).toEqual(['team-a bad team-a/require-team pass', 'team-a good team-a/require-team pass']);

    await policies.replace([]);
    await controller.run();
    expect(reports.stored.size).toBe(0);
    expect(reports.calls.at(-1)).toBe('delete PolicyReport/team-a/kclguard');
  });

  test('a deleted object leaves the report', async () => {
    const objects = new Map([['configmaps', [configMap('bad'), configMap('other')]]]);
    const { caches, reports, controller } = await setup([REQUIRE_TEAM_POLICY], objects);
    await controller.run();
    caches.objects.set('configmaps', [configMap('other')]);
    await controller.run();
    expect(results(reports)).toEqual(['team-a other team-a/require-team fail']);
  });

  test('same rules as admission: an object vetoing the policy still fails unless the audit identity may exempt; RBAC-denied effects are skips', async () => {
    const vetoing = configMap('vetoing', {}, { canValidate: 'nobody' });
    const { reports, controller } = await setup([REQUIRE_TEAM_POLICY], new Map([['configmaps', [vetoing]]]));
    await controller.run();
    expect(results(reports)).toEqual(['team-a vetoing team-a/require-team fail']);
    const denied = await setup([REQUIRE_TEAM_POLICY], new Map([['configmaps', [configMap('bad')]]]), { deny: (a) => a.verb === 'validate' || a.verb === 'update' });
    await denied.controller.run();
    expect(results(denied.reports)).toEqual(['team-a bad team-a/require-team skip']);
    // The ServiceAccount check asked about an UPDATE of that object, as admission would.
    expect(denied.checks.map((c) => `${c.verb} ${c.resource} ${c.namespace}/${c.name}`)).toContain('update configmaps team-a/bad');
  });

  test('a policy whose ServiceAccount may not list what it looks up is an error, never a pass', async () => {
    const unique = clusterKclRun('unique-host', {
      source: 'import kube\n_all = kube.list("networking.k8s.io/v1", "Ingress", "")\nassert len(_all) < 100, "too many"\n',
      mode: 'Validate',
      failureAction: 'skip',
      serviceAccountName: 'reader',
      serviceAccountNamespace: 'platform',
      lookups: [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' }],
      selector: { resourceKind: 'Ingress' },
    });
    const ingress = { metadata: { name: 'web', namespace: 'team-a', uid: 'i-1' }, spec: {} };
    // It may list the Ingresses of team-a (what it audits), not those of every namespace (its lookup).
    const { reports, controller } = await setup([unique], new Map([['ingresses', [ingress]]]), { deny: (a) => a.verb === 'list' && a.namespace === '' });
    await controller.run();
    const result = [...reports.stored.values()][0]!.results[0]!;
    expect(result).toMatchObject({ policy: 'cluster/unique-host', result: 'error', properties: { code: 'K9008' } });
  });

  test("a policy reports nothing about objects its ServiceAccount may not list: not their violations, not the errors that quote them", async () => {
    // The tenant's policy fails on each ConfigMap with a message quoting its data (failureAction
    // skip: no effect check), and violates on them too.
    const leaky = kclRun('leaky', 'team-a', {
      source: '_o = option("items")[0]\n_x = int(_o.data.password) if _o.data.password else 0\nassert False, "value ${_o.data.password}"\n',
      mode: 'Validate',
      failureAction: 'skip',
      serviceAccountName: 'nosy',
      selector: { resourceKind: 'ConfigMap' },
    });
    const secretLike = { metadata: { name: 'creds', namespace: 'team-a', uid: 'c-1' }, data: { password: 'hunter2' } };
    const plain = { metadata: { name: 'plain', namespace: 'team-a', uid: 'c-2' }, data: {} };
    const denied = await setup([leaky], new Map([['configmaps', [secretLike, plain]]]), { deny: (a) => a.verb === 'list' && a.resource === 'configmaps' });
    await denied.controller.run();
    expect(results(denied.reports)).toEqual([]);
    expect(JSON.stringify([...denied.reports.stored.values()])).not.toContain('hunter2');
    expect(denied.checks).toContainEqual({ verb: 'list', group: '', resource: 'configmaps', subresource: '', namespace: 'team-a', name: '' });

    // Allowed to list them, it may read them anyway (kube.list): its results are reported.
    const allowed = await setup([leaky], new Map([['configmaps', [secretLike, plain]]]));
    await allowed.controller.run();
    expect(results(allowed.reports)).toEqual(['team-a creds team-a/leaky error', 'team-a plain team-a/leaky fail']);
  });

  test('only mode Validate policies that name their kinds are audited', async () => {
    const auto = kclRun('mutates', 'team-a', { source: 'items = option("items")\n', selector: { resourceKind: 'ConfigMap' } });
    const everything = kclRun('everything', 'team-a', { source: REQUIRE_TEAM, mode: 'Validate' });
    const { reports, controller, caches } = await setup([auto, everything, REQUIRE_TEAM_POLICY], new Map([['configmaps', [configMap('bad')]]]));
    await controller.run();
    expect(results(reports)).toEqual(['team-a bad team-a/require-team fail']);
    expect(caches.demands.at(-1)).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap' }]);
  });

  test('a run checks at most maxObjects, continuing where the last one stopped; partial runs never delete reports', async () => {
    const objects = new Map([['configmaps', [configMap('a'), configMap('b'), configMap('c')]]]);
    const { reports, controller } = await setup([REQUIRE_TEAM_POLICY], objects, { maxObjects: 2 });
    expect(await controller.run()).toMatchObject({ outcome: 'truncated', checked: 2, objects: 3 });
    expect(results(reports)).toHaveLength(2);
    expect(await controller.run()).toMatchObject({ outcome: 'truncated', checked: 2 });
    expect(results(reports)).toEqual(['team-a a team-a/require-team fail', 'team-a b team-a/require-team fail', 'team-a c team-a/require-team fail']);
    expect(reports.calls.some((c) => c.startsWith('delete'))).toBe(false);
  });

  test('an unchanged result keeps the time it was first seen, so a steady cluster sees no writes', async () => {
    const { reports, controller } = await setup([REQUIRE_TEAM_POLICY], new Map([['configmaps', [configMap('bad')]]]));
    await controller.run();
    await controller.run();
    expect(reports.calls).toEqual(['create PolicyReport/team-a/kclguard']);
  });

  test('only the elected replica audits: after becoming leader, after changes (debounced), and it stops when it is no longer leader', async () => {
    jest.useFakeTimers();
    const { caches, reports, controller } = await setup([REQUIRE_TEAM_POLICY], new Map([['configmaps', [configMap('bad')]]]));
    caches.changed(CONFIGMAP);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(reports.calls).toEqual([]);
    controller.setLeading(true);
    await jest.advanceTimersByTimeAsync(9_000);
    expect(reports.calls).toEqual([]);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(reports.calls).toEqual(['create PolicyReport/team-a/kclguard']);
    caches.objects.set('configmaps', [configMap('bad', { team: 'a' })]);
    caches.changed(CONFIGMAP);
    await jest.advanceTimersByTimeAsync(11_000);
    expect(results(reports)).toEqual(['team-a bad team-a/require-team pass']);
    controller.setLeading(false);
    expect(caches.demands.at(-1)).toEqual([]);
    caches.objects.set('configmaps', [configMap('bad')]);
    caches.changed(CONFIGMAP);
    await jest.advanceTimersByTimeAsync(3_700_000);
    expect(results(reports)).toEqual(['team-a bad team-a/require-team pass']);
    await controller.stop();
  });

  test('reports that cannot be written are written again with backoff (without auditing again), not only at the next periodic run', async () => {
    jest.useFakeTimers();
    const flaky = new FlakyReports(2);
    const { reports, controller, caches } = await setup([REQUIRE_TEAM_POLICY], new Map([['configmaps', [configMap('bad')]]]), { reports: flaky });
    const audits = jest.spyOn(caches, 'list');
    controller.setLeading(true);
    await jest.advanceTimersByTimeAsync(10_000);
    expect([flaky.listAttempts, reports.calls]).toEqual([1, []]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect([flaky.listAttempts, reports.calls]).toEqual([2, []]);
    await jest.advanceTimersByTimeAsync(9_000);
    expect(flaky.listAttempts).toBe(2);
    await jest.advanceTimersByTimeAsync(1_000);
    expect([flaky.listAttempts, reports.calls]).toEqual([3, ['create PolicyReport/team-a/kclguard']]);
    expect(audits).toHaveBeenCalledTimes(1);
    // Written: no more retries, the next run is the periodic one.
    await jest.advanceTimersByTimeAsync(3_000_000);
    expect(flaky.listAttempts).toBe(3);
    await controller.stop();
  });
});
