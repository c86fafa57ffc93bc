/**
 * One pass of background audit over a set of existing objects: each object goes through the
 * admission handler as an UPDATE of itself (audit-request.ts), a few at a time, and each audited
 * policy's outcome becomes a report result (audit-results.ts). Pure apart from the handler: the
 * controller decides what to check and when, and writes the reports.
 */
import type { AdmissionHandler } from '../engine/index.js';
import { apiVersionOf, auditRequest, metadataOf, targetKey, type AuditTarget } from './audit-request.js';
import { resultOf, type PolicyInfo } from './audit-results.js';
import type { AuditedObject } from './policy-reports.js';
import type { ReadCheck } from './read-check.js';

export interface AuditPass {
  readonly targets: readonly AuditTarget[];
  readonly handler: AdmissionHandler;
  /** Severity and category of every policy of the snapshot. */
  readonly infos: ReadonlyMap<string, PolicyInfo>;
  /** Audited policy key -> the kind names it audits: only these get results, on those kinds. */
  readonly audited: ReadonlyMap<string, readonly string[]>;
  /** The previous results, so an unchanged result keeps the time it was first seen. */
  readonly previous: ReadonlyMap<string, AuditedObject>;
  /** Seconds since epoch, the time of new results. */
  readonly now: number;
  /** Objects evaluated at once (the pool runs them in its background lane). */
  readonly concurrency: number;
  /** Whether a policy's ServiceAccount may read the target: a result only where it may (read-check.ts). */
  readonly mayRead: ReadCheck;
}

export interface PassOutcome {
  /** Results by object key (targetKey), for every target the engine could evaluate. */
  readonly objects: Map<string, AuditedObject>;
  /** Targets the engine itself could not evaluate (kclguard's own error: kept as they were). */
  readonly failed: number;
}

async function auditOne(target: AuditTarget, pass: AuditPass): Promise<AuditedObject | undefined> {
  const decision = await pass.handler(auditRequest(target));
  if (decision.denial?.kind === 'internal') return undefined;
  const { name, namespace, uid } = metadataOf(target.object);
  const ref = {
    apiVersion: apiVersionOf(target.served),
    kind: target.served.kind,
    name,
    ...(target.served.namespaced ? { namespace } : {}),
    ...(uid !== '' ? { uid } : {}),
  };
  const before = pass.previous.get(targetKey(target));
  const results: AuditedObject['results'][number][] = [];
  for (const outcome of decision.outcomes) {
    if (!pass.audited.get(outcome.policy)?.includes(target.served.kind)) continue;
    // A check that fails throws: the target keeps its previous results (failed, below).
    if (!(await pass.mayRead(outcome.policy, target.served, namespace))) continue;
    const result = resultOf(outcome, pass.infos.get(outcome.policy) ?? { severity: 'medium' });
    if (!result) continue;
    const same = before?.results.find((r) => r.policy === result.policy && r.result === result.result && r.message === result.message);
    results.push({ ...result, since: same?.since ?? pass.now });
  }
  return { ref, results };
}

export async function auditPass(pass: AuditPass): Promise<PassOutcome> {
  const objects = new Map<string, AuditedObject>();
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pass.targets.length) {
      const target = pass.targets[next++]!;
      const audited = await auditOne(target, pass).catch(() => undefined);
      if (audited) objects.set(targetKey(target), audited);
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, pass.concurrency) }, worker));
  return { objects, failed };
}
