/**
 * PolicyReport / ClusterPolicyReport objects (wgpolicyk8s.io/v1alpha2, the API Kyverno,
 * Kubewarden and Policy Reporter use) from audit results: one report per namespace for namespaced
 * objects, one ClusterPolicyReport for cluster-scoped ones, each split into `kclguard`,
 * `kclguard-2`, ... when it would hold more results or bytes than the limits (etcd stores objects
 * of at most ~1.5 MiB). Results are ordered by resource and policy, so an unchanged audit
 * produces an identical report and nothing is written.
 */
import { REPORT_RESULTS, type AuditResult, type ReportResult } from './audit-results.js';

export const REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kclguard';
/** The name of a namespace's first report; more are `kclguard-2`, `kclguard-3`... */
export const REPORT_NAME = 'kclguard';
export const REPORT_SOURCE = 'kclguard';

export interface ReportLimits {
  /** Results one report holds at most. */
  readonly maxResults: number;
  /** Bytes (JSON) one report holds at most. */
  readonly maxBytes: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = { maxResults: 1000, maxBytes: 1024 * 1024 };

export interface ResourceRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
}

/** The results of one audited object. */
export interface AuditedObject {
  readonly ref: ResourceRef;
  /** The results, each with when it was first seen with this outcome (seconds since epoch). */
  readonly results: readonly (AuditResult & { readonly since: number })[];
}

export interface ReportResultEntry {
  readonly source: string;
  readonly policy: string;
  readonly rule: string;
  readonly result: ReportResult;
  readonly severity: string;
  readonly category?: string;
  readonly message: string;
  readonly scored: boolean;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  readonly resources: readonly ResourceRef[];
  readonly properties?: Readonly<Record<string, string>>;
}

export interface PolicyReportObject {
  readonly apiVersion: string;
  readonly kind: 'PolicyReport' | 'ClusterPolicyReport';
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Readonly<Record<string, string>>; resourceVersion?: string };
  readonly summary: Readonly<Record<ReportResult, number>>;
  readonly results: readonly ReportResultEntry[];
}

function entry(ref: ResourceRef, result: AuditedObject['results'][number]): ReportResultEntry {
  return {
    source: REPORT_SOURCE,
    policy: result.policy,
    // A KCLRun is one rule: the rule is named after the policy, as Kubewarden names its own.
    rule: result.policy.slice(result.policy.lastIndexOf('/') + 1),
    result: result.result,
    severity: result.severity,
    ...(result.category ? { category: result.category } : {}),
    message: result.message,
    scored: true,
    timestamp: { seconds: result.since, nanos: 0 },
    resources: [ref],
    ...(result.properties ? { properties: result.properties } : {}),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function order(a: ReportResultEntry, b: ReportResultEntry): number {
  const ra = a.resources[0]!;
  const rb = b.resources[0]!;
  return compare(ra.kind, rb.kind) || compare(ra.name, rb.name) || compare(ra.apiVersion, rb.apiVersion) || compare(a.policy, b.policy);
}

export function summaryOf(results: readonly ReportResultEntry[]): Record<ReportResult, number> {
  const summary = Object.fromEntries(REPORT_RESULTS.map((r) => [r, 0])) as Record<ReportResult, number>;
  for (const r of results) summary[r.result] += 1;
  return summary;
}

function reportName(index: number): string {
  return index === 0 ? REPORT_NAME : `${REPORT_NAME}-${index + 1}`;
}

/** Splits one scope's results into reports within the limits. */
function split(results: readonly ReportResultEntry[], namespace: string, limits: ReportLimits): PolicyReportObject[] {
  const chunks: ReportResultEntry[][] = [];
  let current: ReportResultEntry[] = [];
  let bytes = 0;
  for (const result of results) {
    const size = Buffer.byteLength(JSON.stringify(result)) + 1;
    if (current.length > 0 && (current.length >= limits.maxResults || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(result);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks.map((chunk, index) => ({
    apiVersion: REPORT_API_VERSION,
    kind: namespace === '' ? 'ClusterPolicyReport' : 'PolicyReport',
    metadata: { name: reportName(index), ...(namespace === '' ? {} : { namespace }), labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    summary: summaryOf(chunk),
    results: chunk,
  }));
}

/** The reports for these audited objects: per namespace ('' = cluster-scoped), split by the limits. */
export function buildReports(objects: Iterable<AuditedObject>, limits: ReportLimits = DEFAULT_REPORT_LIMITS): PolicyReportObject[] {
  const byNamespace = new Map<string, ReportResultEntry[]>();
  for (const object of objects) {
    const namespace = object.ref.namespace ?? '';
    const list = byNamespace.get(namespace) ?? [];
    for (const result of object.results) list.push(entry(object.ref, result));
    byNamespace.set(namespace, list);
  }
  const reports: PolicyReportObject[] = [];
  for (const namespace of [...byNamespace.keys()].sort(compare)) {
    const results = byNamespace.get(namespace)!.sort(order);
    if (results.length > 0) reports.push(...split(results, namespace, limits));
  }
  return reports;
}
