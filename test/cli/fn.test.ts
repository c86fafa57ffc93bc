import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { main } from '../../src/cli/fn.js';
import { capture, cliErrorCode, fixture } from './cli-harness.js';

function load(...parts: string[]): unknown {
  return yaml.load(readFileSync(fixture(...parts), 'utf8'));
}

function resourceList(policy: string, items: unknown[]): Record<string, unknown> {
  return { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items, functionConfig: load('policies', policy) };
}

const run = (input: string) => capture(() => main([], input));

const KCLRUN = (name: string, source: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'krm.kcl.dev/v1alpha1',
  kind: 'KCLRun',
  metadata: { name, namespace: 'team-a' },
  spec: { source, ...extra },
});

const CLUSTER_ADMIN_BINDING = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: 'everyone-admin' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
  subjects: [{ kind: 'Group', name: 'system:authenticated' }],
};

const NO_CLUSTER_ADMIN = `_bad = [i.metadata.name for i in option("items") if i.kind == "ClusterRoleBinding" and i.roleRef.name == "cluster-admin"]
assert not _bad, "bindings to cluster-admin are not allowed: \${_bad}"
`;

function listOf(config: unknown, items: unknown[]): string {
  return yaml.dump({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items, functionConfig: config });
}

describe('kclguard fn (krm-kcl semantics: one run over every item)', () => {
  test('the program sees every item: a namespaced KCLRun fails on a cluster-scoped item, as krm-kcl does', async () => {
    const { code, out } = await run(listOf(KCLRUN('no-cluster-admin', NO_CLUSTER_ADMIN), [load('resources', 'pod.yaml'), CLUSTER_ADMIN_BINDING]));
    expect(code).toBe(1);
    const results = (yaml.load(out) as { results: any[] }).results;
    expect(results.find((r) => r.severity === 'error').message).toContain('everyone-admin');
    // ...and it says that the webhook would not have acted on that item.
    expect(results.find((r) => r.severity === 'info').message).toMatch(/would not act on 1 of them \(1: a KCLRun acts only inside its own namespace\)/);
  });

  test('mutates every item, also those outside the KCLRun namespace, and reports the difference (YAML in, YAML out)', async () => {
    const { code, out } = await run(yaml.dump(resourceList('add-team-label.yaml', [load('resources', 'pod.yaml'), load('resources', 'pod-other-ns.yaml')])));
    expect(code).toBe(0);
    const list = yaml.load(out) as { items: any[]; results: any[] };
    expect(list.items.map((i) => i.metadata.labels)).toEqual([{ team: 'team-a' }, { team: 'team-a' }]);
    expect(list.results.map((r) => r.severity)).toEqual(['info', 'info']);
    expect(list.results[0].message).toContain('would not act on 1 of them');
  });

  test('a violation is an error result and exit 1 (JSON in, JSON out)', async () => {
    const { code, out } = await run(JSON.stringify(resourceList('deny-privileged.yaml', [load('resources', 'pod-privileged.yaml'), load('resources', 'pod.yaml')])));
    expect(code).toBe(1);
    const list = JSON.parse(out) as { results: any[] };
    expect(list.results.filter((r) => r.severity === 'error').map((r) => r.message)).toEqual([expect.stringContaining('privileged containers are not allowed')]);
  });

  test('failureAction warn is a warning result, exit 0', async () => {
    const { code, out } = await run(yaml.dump(resourceList('warn-broken.yaml', [load('resources', 'pod.yaml')])));
    expect(code).toBe(0);
    expect((yaml.load(out) as { results: any[] }).results.map((r) => r.severity)).toEqual(['warning']);
  });

  test('failureAction abort is an error result, exit 1', async () => {
    const { code } = await run(yaml.dump(resourceList('broken.yaml', [load('resources', 'pod.yaml')])));
    expect(code).toBe(1);
  });

  test('matchConstraints.resourceRules filter what the program sees; other items and KCLRun documents pass through', async () => {
    const count = KCLRUN('count', '_n = len(option("items"))\nassert _n == 1, "saw \${_n}"\n', {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], kinds: ['Pod'] }] },
    });
    const other = KCLRUN('other', 'x = 1\n');
    const { code, out } = await run(listOf(count, [load('resources', 'pod.yaml'), CLUSTER_ADMIN_BINDING, other]));
    expect(code).toBe(0);
    const list = yaml.load(out) as { items: any[]; results: any[] };
    expect(list.items.map((i) => i.kind)).toEqual(['Pod', 'ClusterRoleBinding', 'KCLRun']);
    expect(list.results.map((r) => r.severity)).toEqual(['info']);
  });

  test('a mode Validate policy never changes the items', async () => {
    const relabel = KCLRUN('relabel', 'items = [i | {metadata.labels.x = "y"} for i in option("items")]\n', { mode: 'Validate' });
    const { code, out } = await run(listOf(relabel, [load('resources', 'pod.yaml')]));
    expect(code).toBe(0);
    const list = yaml.load(out) as { items: any[]; results: any[] };
    expect(list.items[0].metadata.labels).toBeUndefined();
    expect(list.results.map((r) => r.severity)).toEqual(['warning']);
  });

  test('a source that does not compile fails under failureAction, naming the KCL error', async () => {
    const broken = (action: string) => KCLRUN('broken', 'items = [\n', { failureAction: action });
    const abort = await run(listOf(broken('abort'), [load('resources', 'pod.yaml')]));
    expect(abort.code).toBe(1);
    expect((yaml.load(abort.out) as { results: any[] }).results[0].message).toContain('E1001');
    const warn = await run(listOf(broken('warn'), [load('resources', 'pod.yaml')]));
    expect(warn.code).toBe(0);
    expect((yaml.load(warn.out) as { results: any[] }).results.map((r) => r.severity)).toEqual(['warning']);
  });

  test('params and resource_list reach the program as in krm-kcl', async () => {
    const echo = KCLRUN('echo', 'items = [{apiVersion = "v1", kind = "ConfigMap", metadata.name = option("params").name, data.fc = option("resource_list").functionConfig.metadata.name}]\n', { params: { name: 'made' } });
    const { out } = await run(listOf(echo, [load('resources', 'pod.yaml')]));
    expect((yaml.load(out) as { items: any[] }).items).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'made' }, data: { fc: 'echo' } }]);
  });

  test.each<[string, string, string]>([
    ['not YAML', '{ nope', 'C2003'],
    ['not a ResourceList', 'apiVersion: v1\nkind: ConfigMap\n', 'C2014'],
    ['functionConfig is not a KCLRun', 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: {apiVersion: v1, kind: ConfigMap}\n', 'C2015'],
    ['invalid KCLRun', yaml.dump({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [], functionConfig: load('testdata', 'check', 'bad-schema.yaml') }), 'C2008'],
  ])('bad input (%s): one coded line, exit 2', async (_name, input, expected) => {
    expect(cliErrorCode(await run(input), 'fn')).toBe(expected);
  });
});
