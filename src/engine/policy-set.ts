/**
 * The set of loaded policies as an immutable, ordered snapshot. A reload builds a complete new
 * snapshot and swaps one reference, so a request that started on the old set finishes on it and
 * no request ever sees half a reload.
 *
 * Order (the order mutations apply in): KCLRuns by namespace then name, then ClusterKCLRuns by
 * name — cluster policies run last so a cluster admin's mutation has the final word over a
 * tenant's. Comparison is by UTF-16 code unit, never locale, so the order is the same everywhere.
 */
import { compilePolicy, POLICY_STATES, type CompiledPolicy, type PolicyState, type ProgramCache } from './compiled-policy.js';
import type { EngineLogger } from './logger.js';
import { silentLogger } from './logger.js';
import { notify, type EngineObserver } from './observer.js';
import type { PolicyCompiler } from './policy-compiler.js';
import { parsePolicy } from './schema.js';

export interface PolicySnapshot {
  /** Increases by one per swap. */
  readonly generation: number;
  readonly policies: readonly CompiledPolicy[];
  readonly counts: Readonly<Record<PolicyState, number>>;
}

export interface PolicyDocument {
  readonly doc: unknown;
  /** Where it came from, e.g. a file path. */
  readonly origin?: string;
}

export interface LoadProblem {
  readonly origin?: string;
  /** The policy key when known. */
  readonly policy?: string;
  readonly message: string;
}

export interface LoadReport {
  readonly snapshot: PolicySnapshot;
  /** Documents that could not become a policy at all, and duplicates. */
  readonly problems: readonly LoadProblem[];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePolicies(a: CompiledPolicy, b: CompiledPolicy): number {
  const ac = a.identity.kind === 'ClusterKCLRun' ? 1 : 0;
  const bc = b.identity.kind === 'ClusterKCLRun' ? 1 : 0;
  if (ac !== bc) return ac - bc;
  return compareText(a.identity.namespace ?? '', b.identity.namespace ?? '') || compareText(a.identity.name, b.identity.name);
}

function countByState(policies: readonly CompiledPolicy[]): Record<PolicyState, number> {
  const counts = Object.fromEntries(POLICY_STATES.map((s) => [s, 0])) as Record<PolicyState, number>;
  for (const p of policies) counts[p.state] += 1;
  return counts;
}

export interface PolicySetOptions {
  readonly compiler: PolicyCompiler;
  readonly observer?: EngineObserver;
  readonly logger?: EngineLogger;
  /** Namespace of a KCLRun document that names none. */
  readonly defaultNamespace?: string;
}

export class PolicySet {
  private current: PolicySnapshot = Object.freeze({
    generation: 0,
    policies: Object.freeze([]) as readonly CompiledPolicy[],
    counts: Object.freeze(countByState([])),
  });
  private programs: ProgramCache = new Map();

  constructor(private readonly options: PolicySetOptions) {}

  /** The snapshot to evaluate one request against; take it once per request. */
  snapshot(): PolicySnapshot {
    return this.current;
  }

  /** Replaces the whole set with these documents (only KCLRun / ClusterKCLRun documents). */
  replace(documents: readonly PolicyDocument[]): LoadReport {
    const logger = this.options.logger ?? silentLogger;
    const problems: LoadProblem[] = [];
    const byKey = new Map<string, CompiledPolicy>();
    const nextPrograms: ProgramCache = new Map();
    for (const { doc, origin } of documents) {
      const parsed = parsePolicy(doc, { defaultNamespace: this.options.defaultNamespace, origin });
      if (!parsed.ok && !parsed.identity) {
        problems.push({ origin, message: parsed.errors.join('; ') });
        continue;
      }
      const key = parsed.ok ? parsed.policy.identity.key : parsed.identity!.key;
      const earlier = byKey.get(key);
      if (earlier) {
        problems.push({ origin, policy: key, message: `duplicate policy ${key} (first defined in ${earlier.origin ?? 'an earlier document'}); ignored` });
        continue;
      }
      const compiled = compilePolicy(parsed, this.options.compiler, this.programs, origin)!;
      if (compiled.definition && compiled.state === 'ready') {
        const cacheKey = `${key}.k\u0000${compiled.definition.spec.source}`;
        nextPrograms.set(cacheKey, this.programs.get(cacheKey)!);
      }
      byKey.set(key, compiled);
      if (compiled.state === 'invalid') {
        logger.warn({ policy: key, origin, errors: compiled.errors }, 'policy is invalid');
      }
    }
    // Keep only programs still in use, so a long-running watch does not grow without bound.
    this.programs = nextPrograms;
    const policies = Object.freeze([...byKey.values()].sort(comparePolicies));
    const counts = Object.freeze(countByState(policies));
    this.current = Object.freeze({ generation: this.current.generation + 1, policies, counts });
    notify(this.options.observer, 'onPoliciesChanged', counts);
    logger.info({ generation: this.current.generation, ...counts }, 'policy set loaded');
    return { snapshot: this.current, problems };
  }
}
