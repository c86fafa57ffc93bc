/**
 * From audit results to wgpolicyk8s.io/v1alpha2 reports: the request audit sends, the result
 * mapping, one report per namespace, splitting, and the writer that touches only what changed.
 */
import { describe, expect, test } from '@jest/globals';
import type { PolicyOutcome } from '../engine/index.js';
import { AUDIT_USER, auditRequest } from './audit-request.js';
import { resultOf } from './audit-results.js';
import { buildReports, type AuditedObject, type PolicyReportObject } from './policy-reports.js';
import { ReportWriter } from './report-writer.js';
import { FakeReports } from './testing/fake-reports.js';

const INGRESS = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress', namespaced: true };
const NAMESPACE = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };

describe('the audit request', () => {
  test('an UPDATE of the object to itself, dry run, by the audit identity, in the background lane', () => {
    const object = { metadata: { name: 'web', namespace: 'team-a', uid: 'u-1' }, spec: {} };
    const request = auditRequest({ object, served: INGRESS });
    expect(request).toMatchObject({
      phase: 'validate',
      operation: 'UPDATE',
      kind: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
      resource: { resource: 'ingresses' },
      name: 'web',
      namespace: 'team-a',
      userInfo: AUDIT_USER,
      dryRun: true,
      background: true,
      requestView: { operation: 'UPDATE', dryRun: true, namespace: 'team-a' },
    });
    // Objects from a cache's LIST carry no apiVersion/kind of their own: the request adds them.
    expect(request.object).toMatchObject({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' });
    expect(request.oldObject).toBe(request.object);
  });

  test('a Namespace is in itself; other cluster-scoped objects in none', () => {
    expect(auditRequest({ object: { metadata: { name: 'team-a' } }, served: NAMESPACE }).namespace).toBe('team-a');
    const node = { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false };
    expect(auditRequest({ object: { metadata: { name: 'n1' } }, served: node }).namespace).toBeUndefined();
  });
});

describe('report results', () => {
  const info = { severity: 'high' as const, category: 'Networking' };
  const outcome = (o: Partial<PolicyOutcome>): PolicyOutcome => ({ policy: 'team-a/p', result: 'passed', durationSeconds: 0, ...o });

  test.each([
    [{ result: 'passed' }, 'pass'],
    [{ result: 'violated', reason: 'no', actions: ['Deny'] }, 'fail'],
    [{ result: 'violated', reason: 'no', actions: ['Warn'] }, 'warn'],
    [{ result: 'violated', reason: 'no', actions: ['Audit'] }, 'warn'],
    [{ result: 'failed', reason: 'K9008 LookupForbidden: ...', code: 'K9008', action: 'skip' }, 'error'],
    [{ result: 'not_authorized', reason: 'may not validate' }, 'skip'],
    [{ result: 'not_consented', reason: 'vetoed' }, 'skip'],
    [{ result: 'skipped', reason: 'strictMode' }, 'skip'],
  ] as [Partial<PolicyOutcome>, string][])('%j is %s', (given, expected) => {
    expect(resultOf(outcome(given), info)).toMatchObject({ result: expected, severity: 'high', category: 'Networking' });
  });

  test('not_selected gives no result; a failure carries its code', () => {
    expect(resultOf(outcome({ result: 'not_selected' }), info)).toBeUndefined();
    expect(resultOf(outcome({ result: 'failed', code: 'K9008', reason: 'x' }), info)?.properties).toEqual({ code: 'K9008' });
  });
});

function audited(namespace: string | undefined, name: string, results: { policy: string; result: 'pass' | 'fail' }[]): AuditedObject {
  return {
    ref: { apiVersion: 'v1', kind: 'ConfigMap', name, ...(namespace ? { namespace } : {}), uid: `${namespace}-${name}` },
    results: results.map((r) => ({ ...r, message: r.result, severity: 'medium', since: 1_700_000_000 })),
  };
}

describe('buildReports', () => {
  test('one PolicyReport per namespace, a ClusterPolicyReport for cluster-scoped objects, with a summary', () => {
    const reports = buildReports([
      audited('team-b', 'b', [{ policy: 'cluster/p', result: 'fail' }]),
      audited('team-a', 'z', [{ policy: 'team-a/p', result: 'pass' }]),
      audited('team-a', 'a', [{ policy: 'team-a/p', result: 'fail' }, { policy: 'cluster/p', result: 'pass' }]),
      audited(undefined, 'n', [{ policy: 'cluster/p', result: 'pass' }]),
    ]);
    expect(reports.map((r) => [r.kind, r.metadata.namespace, r.metadata.name])).toEqual([
      ['ClusterPolicyReport', undefined, 'kclguard'],
      ['PolicyReport', 'team-a', 'kclguard'],
      ['PolicyReport', 'team-b', 'kclguard'],
    ]);
    const teamA = reports[1]!;
    expect(teamA.apiVersion).toBe('wgpolicyk8s.io/v1alpha2');
    expect(teamA.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'kclguard' });
    expect(teamA.summary).toEqual({ pass: 2, fail: 1, warn: 0, error: 0, skip: 0 });
    // Ordered by resource then policy, so an unchanged audit gives an identical report.
    expect(teamA.results.map((r) => `${r.resources[0]!.name} ${r.policy}`)).toEqual(['a cluster/p', 'a team-a/p', 'z team-a/p']);
    expect(teamA.results[1]).toMatchObject({ source: 'kclguard', policy: 'team-a/p', rule: 'p', result: 'fail', scored: true, timestamp: { seconds: 1_700_000_000, nanos: 0 } });
  });

  test('a report larger than the limits is split into kclguard, kclguard-2, ...', () => {
    const many = Array.from({ length: 25 }, (_, i) => audited('team-a', `cm-${String(i).padStart(2, '0')}`, [{ policy: 'team-a/p', result: 'pass' }]));
    const byCount = buildReports(many, { maxResults: 10, maxBytes: 1_000_000 });
    expect(byCount.map((r) => [r.metadata.name, r.results.length])).toEqual([
      ['kclguard', 10],
      ['kclguard-2', 10],
      ['kclguard-3', 5],
    ]);
    const bySize = buildReports(many, { maxResults: 1000, maxBytes: 2000 });
    expect(bySize.length).toBeGreaterThan(1);
    for (const report of bySize) expect(Buffer.byteLength(JSON.stringify(report.results))).toBeLessThanOrEqual(2000 + 200);
    expect(bySize.flatMap((r) => r.results)).toHaveLength(25);
  });
});

describe('ReportWriter', () => {
  test('creates, replaces only what changed, and deletes what is no longer wanted only after a complete audit', async () => {
    const api = new FakeReports();
    const writer = new ReportWriter(api);
    const first = buildReports([audited('team-a', 'a', [{ policy: 'team-a/p', result: 'fail' }]), audited('team-b', 'b', [{ policy: 'team-b/p', result: 'pass' }])]);
    expect(await writer.write(first, true)).toEqual({ created: 2, updated: 0, deleted: 0, unchanged: 0, failed: 0 });
    expect(await writer.write(first, true)).toEqual({ created: 0, updated: 0, deleted: 0, unchanged: 2, failed: 0 });
    const fixed = buildReports([audited('team-a', 'a', [{ policy: 'team-a/p', result: 'pass' }])]);
    // A partial audit updates but never deletes: team-b may simply not have been reached.
    expect(await writer.write(fixed, false)).toEqual({ created: 0, updated: 1, deleted: 0, unchanged: 0, failed: 0 });
    expect(await writer.write(fixed, true)).toEqual({ created: 0, updated: 0, deleted: 1, unchanged: 1, failed: 0 });
    expect(api.calls).toEqual(['create PolicyReport/team-a/kclguard', 'create PolicyReport/team-b/kclguard', 'replace PolicyReport/team-a/kclguard at 1', 'delete PolicyReport/team-b/kclguard']);
  });

  test('a report that cannot be written (its namespace is terminating) does not stop the others', async () => {
    const api = new FakeReports();
    const create = api.create.bind(api);
    api.create = async (r) => {
      if (r.metadata.namespace === 'terminating') throw new Error('namespace terminating is being terminated');
      return create(r);
    };
    const reports = buildReports([audited('terminating', 'a', [{ policy: 'p/p', result: 'fail' }]), audited('team-b', 'b', [{ policy: 'p/p', result: 'fail' }])]);
    expect(await new ReportWriter(api).write(reports, true)).toEqual({ created: 1, updated: 0, deleted: 0, unchanged: 0, failed: 1 });
    expect([...api.stored.keys()]).toEqual(['PolicyReport/team-b/kclguard']);
  });
});
