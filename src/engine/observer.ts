/**
 * Hooks through which the transport's metrics watch the engine, so the engine itself has no
 * prom-client dependency. Every hook is optional; an observer that throws is ignored (metrics
 * must never change an admission decision).
 */
import type { FailureAction, PolicyResult } from './contract.js';
import type { ValidationAction } from './model.js';
import type { PolicyState } from './compiled-policy.js';

export interface EngineObserver {
  /** One call per policy considered for a request (not_selected policies are not reported). */
  onPolicyEvaluated?(policy: string, result: PolicyResult, seconds: number): void;
  /** A policy failed and its failureAction was applied. */
  onFailureAction?(policy: string, action: FailureAction): void;
  /** A violation took effect with these validationActions (Deny, Warn, Audit). */
  onViolation?(policy: string, actions: readonly ValidationAction[]): void;
  /**
   * A policy's `kube.get` / `kube.list` call was answered (or refused): verb get/list, outcome
   * ok, invalid, undeclared, forbidden, failed or too_large, and the time the answer took.
   */
  onLookup?(policy: string, verb: string, outcome: string, seconds: number): void;
  /**
   * The policy set was replaced: counts of policies by state (every state present, 0 if none)
   * and every loaded policy. A policy missing from `policies` was deleted, and its metric series
   * go with it.
   */
  onPoliciesChanged?(counts: Readonly<Record<PolicyState, number>>, policies: readonly PolicySummary[]): void;
  /**
   * A ServiceAccount effect check was answered: from the cache, by asking, by a last known answer
   * standing in while asking failed (stale), or not at all (failed).
   */
  onServiceAccountCheck?(answer: 'cached' | 'asked' | 'stale' | 'failed'): void;
}

/** One loaded policy as the observer sees it. */
export interface PolicySummary {
  readonly key: string;
  readonly state: PolicyState;
  /** A newer revision was rejected and this one still acts (see CompiledPolicy.stale). */
  readonly stale: boolean;
}

/** Calls a hook and swallows whatever it throws. */
export function notify<K extends keyof EngineObserver>(
  observer: EngineObserver | undefined,
  hook: K,
  ...args: Parameters<NonNullable<EngineObserver[K]>>
): void {
  const fn = observer?.[hook] as ((...a: unknown[]) => void) | undefined;
  if (!fn) return;
  try {
    fn.apply(observer, args);
  } catch {
    // deliberately ignored: see the interface comment
  }
}
