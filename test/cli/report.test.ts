/**
 * `kclguard report` over files: the background audit offline — a table of results or the
 * PolicyReports, exit 1 on a fail or error result, 2 on bad input.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { main } from '../../src/cli/report.js';
import { capture, POLICIES_DIR } from './cli-harness.js';

const run = (...argv: string[]) => capture(() => main(argv));
const SERVICES = join(POLICIES_DIR, 'service-selector-matches');
const UNIQUE = join(POLICIES_DIR, 'unique-ingress-host');

describe('kclguard report', () => {
  test('a table of every audited object, exit 1 when something fails', async () => {
    const r = await run(join(SERVICES, 'policy.yaml'), join(SERVICES, 'cluster'), join(SERVICES, 'resources'), '--rbac', join(SERVICES, 'rbac.yaml'));
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+RESOURCE\s+POLICY\s+RESULT\s+SEVERITY\s+MESSAGE$/);
    expect(lines.filter((l) => /Service\/(api|web|docs)/.test(l)).map((l) => l.split(/\s+/).slice(0, 4).join(' '))).toEqual([
      'team-a Service/api team-a/service-selector-matches fail',
      'team-a Service/docs team-a/service-selector-matches pass',
      'team-a Service/web team-a/service-selector-matches pass',
    ]);
    expect(lines.at(-1)).toBe('2 pass, 1 fail, 0 warn, 0 error, 0 skip');
  });

  test('--output yaml prints the PolicyReports (wgpolicyk8s.io/v1alpha2), one per namespace', async () => {
    const r = await run(join(UNIQUE, 'policy.yaml'), join(UNIQUE, 'cluster'), '--rbac', join(UNIQUE, 'rbac.yaml'), '--output', 'yaml');
    expect(r.code).toBe(0);
    const list = yaml.load(r.out) as { items: { kind: string; metadata: { namespace: string }; summary: Record<string, number>; results: { policy: string; severity: string; category: string }[] }[] };
    expect(list.items.map((i) => [i.kind, i.metadata.namespace, i.summary.pass])).toEqual([
      ['PolicyReport', 'team-a', 1],
      ['PolicyReport', 'team-b', 1],
    ]);
    expect(list.items[0]!.results[0]).toMatchObject({ policy: 'cluster/unique-ingress-host', severity: 'high', category: 'Networking' });
  });

  test("objects the policy's ServiceAccount may not list are not audited, and the report says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kclguard-report-'));
    try {
      const docs = yaml.loadAll(readFileSync(join(UNIQUE, 'rbac.yaml'), 'utf8')) as Record<string, any>[];
      docs[0]!.rules[0].verbs = ['validate']; // may validate Ingresses, may not list them
      writeFileSync(join(dir, 'rbac.yaml'), docs.map((d) => yaml.dump(d)).join('---\n'));
      const noList = await run(join(UNIQUE, 'policy.yaml'), join(UNIQUE, 'cluster'), '--rbac', join(dir, 'rbac.yaml'), '--output', 'json');
      const results = (out: string) => (JSON.parse(out) as { items: { results: { result: string; properties?: Record<string, string> }[] }[] }).items.flatMap((i) => i.results).map((x) => [x.result, x.properties?.code ?? x.properties?.reason]);
      // Nothing it said about Ingresses it may not read reaches a report.
      expect(results(noList.out)).toEqual([]);
      expect(noList.code).toBe(0);
      expect(noList.err).toContain('policy cluster/unique-ingress-host: its ServiceAccount may not list ingresses.networking.k8s.io in team-a, so they are not audited for it');
      // Allowed to list them (and so to look them up), it is audited: no host is served twice.
      docs[0]!.rules[0].verbs = ['list'];
      writeFileSync(join(dir, 'rbac.yaml'), docs.map((d) => yaml.dump(d)).join('---\n'));
      const listed = await run(join(UNIQUE, 'policy.yaml'), join(UNIQUE, 'cluster'), '--rbac', join(dir, 'rbac.yaml'), '--output', 'json');
      expect(results(listed.out)).toEqual([
        ['pass', undefined],
        ['pass', undefined],
      ]);
      expect(listed.err).not.toContain('not audited');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('input errors exit 2', async () => {
    expect((await run()).code).toBe(2);
    expect((await run(join(SERVICES, 'cluster'))).code).toBe(2);
    expect((await run(join(SERVICES, 'policy.yaml'), '--output', 'html')).code).toBe(2);
  });
});
