import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { main } from '../../src/cli/fn.js';
import { capture, fixture } from './cli-harness.js';

function load(...parts: string[]): unknown {
  return yaml.load(readFileSync(fixture(...parts), 'utf8'));
}

function resourceList(policy: string, items: unknown[]): Record<string, unknown> {
  return { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items, functionConfig: load('policies', policy) };
}

const run = (input: string) => capture(() => main([], input));

describe('kclguard fn', () => {
  test('mutates selected items, passes the others through, and reports info results (YAML in, YAML out)', async () => {
    const other = load('resources', 'pod-other-ns.yaml');
    const { code, out } = await run(yaml.dump(resourceList('add-team-label.yaml', [load('resources', 'pod.yaml'), other])));
    expect(code).toBe(0);
    const list = yaml.load(out) as { items: any[]; results: any[] };
    expect(list.items[0].metadata.labels).toEqual({ team: 'team-a' });
    expect(list.items[1]).toEqual(other);
    expect(list.results).toEqual([expect.objectContaining({ severity: 'info', resourceRef: expect.objectContaining({ kind: 'Pod', name: 'web' }) })]);
  });

  test('a violation is an error result and exit 1 (JSON in, JSON out)', async () => {
    const { code, out } = await run(JSON.stringify(resourceList('deny-privileged.yaml', [load('resources', 'pod-privileged.yaml'), load('resources', 'pod.yaml')])));
    expect(code).toBe(1);
    const list = JSON.parse(out) as { results: any[] };
    expect(list.results.map((r) => [r.severity, r.resourceRef.name])).toEqual([['error', 'root']]);
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

  test('keeps the file annotations kpt uses in results', async () => {
    const pod = load('resources', 'pod-privileged.yaml') as any;
    pod.metadata.annotations = { 'internal.config.kubernetes.io/path': 'pods/root.yaml', 'internal.config.kubernetes.io/index': '0' };
    const { out } = await run(yaml.dump(resourceList('deny-privileged.yaml', [pod])));
    expect((yaml.load(out) as { results: any[] }).results[0].file).toEqual({ path: 'pods/root.yaml', index: 0 });
  });

  test.each<[string, string]>([
    ['not YAML', '{ nope'],
    ['not a ResourceList', 'apiVersion: v1\nkind: ConfigMap\n'],
    ['functionConfig is not a KCLRun', 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: {apiVersion: v1, kind: ConfigMap}\n'],
    ['invalid KCLRun', yaml.dump({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [], functionConfig: load('testdata', 'check', 'bad-schema.yaml') })],
  ])('bad input (%s): exit 2', async (_name, input) => {
    const { code, err } = await run(input);
    expect(code).toBe(2);
    expect(err).toMatch(/^kclguard fn: /);
  });
});
