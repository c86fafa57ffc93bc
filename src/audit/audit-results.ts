/**
 * What one policy's outcome on an existing object becomes in a PolicyReport
 * (wgpolicyk8s.io/v1alpha2 result values):
 *
 * | engine result                                   | report result |
 * | passed                                          | pass          |
 * | violated, validationActions with Deny           | fail          |
 * | violated, Warn / Audit only                     | warn          |
 * | failed (whatever its failureAction)             | error         |
 * | not_consented, not_authorized, skipped           | skip          |
 * | not_selected                                    | (no result)   |
 *
 * A policy that could not run is an `error`, never a `pass`: a lookup its ServiceAccount may not
 * make shows up as an error in the report.
 */
import type { CompiledPolicy, PolicyOutcome, PolicySnapshot } from '../engine/index.js';

export type ReportResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip';
export const REPORT_RESULTS: readonly ReportResult[] = ['pass', 'fail', 'warn', 'error', 'skip'];

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
const SEVERITIES: readonly string[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Annotations on a KCLRun that reports carry (as Kyverno's policies.kyverno.io/* do). */
export const SEVERITY_ANNOTATION = 'policies.kclguard.dev/severity';
export const CATEGORY_ANNOTATION = 'policies.kclguard.dev/category';
export const DEFAULT_SEVERITY: Severity = 'medium';

/** One policy's result for one object. */
export interface AuditResult {
  readonly policy: string;
  readonly result: ReportResult;
  readonly message: string;
  readonly severity: Severity;
  readonly category?: string;
  /** Extra detail as strings (the failure's code, the violation's actions). */
  readonly properties?: Readonly<Record<string, string>>;
}

export interface PolicyInfo {
  readonly severity: Severity;
  readonly category?: string;
}

/** Severity and category of each policy of a snapshot, from its annotations. */
export function policyInfos(snapshot: PolicySnapshot): Map<string, PolicyInfo> {
  const infos = new Map<string, PolicyInfo>();
  for (const policy of snapshot.policies) infos.set(policy.identity.key, infoOf(policy));
  return infos;
}

function infoOf(policy: CompiledPolicy): PolicyInfo {
  const annotations = policy.definition?.manifest.metadata.annotations ?? {};
  const severity = annotations[SEVERITY_ANNOTATION]?.toLowerCase();
  const category = annotations[CATEGORY_ANNOTATION];
  return {
    severity: severity !== undefined && SEVERITIES.includes(severity) ? (severity as Severity) : DEFAULT_SEVERITY,
    ...(category ? { category } : {}),
  };
}

/** Report messages stay readable and bounded (reports are read by people and UIs). */
const MAX_MESSAGE = 1024;

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

export function resultOf(outcome: PolicyOutcome, info: PolicyInfo): AuditResult | undefined {
  const base = { policy: outcome.policy, severity: info.severity, ...(info.category ? { category: info.category } : {}) };
  switch (outcome.result) {
    case 'passed':
    case 'mutated':
      return { ...base, result: 'pass', message: 'the object passes the policy' };
    case 'violated': {
      const actions = outcome.actions ?? ['Deny'];
      return {
        ...base,
        result: actions.includes('Deny') ? 'fail' : 'warn',
        message: clip(outcome.reason ?? 'the object violates the policy'),
        properties: { validationActions: actions.join(',') },
      };
    }
    case 'failed':
      return { ...base, result: 'error', message: clip(outcome.reason ?? 'the policy could not run'), ...(outcome.code ? { properties: { code: outcome.code } } : {}) };
    case 'not_consented':
    case 'not_authorized':
    case 'skipped':
      return { ...base, result: 'skip', message: clip(outcome.reason ?? outcome.result), properties: { reason: outcome.result } };
    case 'not_selected':
      return undefined;
  }
}
