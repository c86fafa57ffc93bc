/** The engine's EngineObserver and the worker pool's PoolObserver, implemented with kclguard's metrics. */
import { LANES, LOOKUP_OUTCOMES, type EngineObserver, type FailureAction, type PolicyResult, type PolicyState, type PolicySummary, type PoolObserver } from '../engine/index.js';
import { FAILURE_ACTIONS, POLICY_RESULTS, VALIDATION_ACTIONS, type Metrics, type PolicyResultLabel } from './metrics.js';

const COUNTED_RESULTS: ReadonlySet<string> = new Set(POLICY_RESULTS);
const LOOKUP_VERBS = ['get', 'list', 'other'];

export function metricsObserver(metrics: Metrics): EngineObserver {
  /** Policies of the current set; undefined until the first set is loaded. */
  let loaded: ReadonlySet<string> | undefined;
  // A review still running on the previous snapshot may report a policy just deleted; counting
  // it would bring the removed series back, to stay until restart.
  const isDeleted = (policy: string): boolean => loaded !== undefined && !loaded.has(policy);

  // Series bound per policy: every review reports each selected policy (bound-metrics.ts).
  const evaluated = new Map<string, { count: (result: PolicyResultLabel) => void; time: (seconds: number) => void }>();
  const childrenOf = (policy: string) => {
    let children = evaluated.get(policy);
    if (!children) {
      const counters = new Map(POLICY_RESULTS.map((result) => [result, metrics.policyEvaluations.bind({ policy, result })]));
      const time = metrics.policyEvaluationDuration.bind({ policy });
      children = { count: (result) => counters.get(result)!(), time };
      evaluated.set(policy, children);
    }
    return children;
  };

  const removeSeries = (policy: string): void => {
    evaluated.delete(policy);
    for (const result of POLICY_RESULTS) metrics.policyEvaluations.remove({ policy, result });
    metrics.policyEvaluationDuration.remove({ policy });
    for (const action of FAILURE_ACTIONS) metrics.policyFailureActions.remove({ policy, action });
    for (const action of VALIDATION_ACTIONS) metrics.policyViolationActions.remove({ policy, action });
    metrics.policyStale.remove({ policy });
    for (const verb of LOOKUP_VERBS) for (const outcome of LOOKUP_OUTCOMES) metrics.policyLookups.remove({ policy, verb, outcome });
    metrics.policyLookupDuration.remove({ policy });
  };

  return {
    onPolicyEvaluated(policy: string, result: PolicyResult, seconds: number): void {
      // not_selected is by far the most common result and says nothing about the policy's health;
      // counting it would multiply series by every policy for every request.
      if (!COUNTED_RESULTS.has(result) || isDeleted(policy)) return;
      const children = childrenOf(policy);
      children.count(result as PolicyResultLabel);
      children.time(seconds);
    },
    onFailureAction(policy: string, action: FailureAction): void {
      if (isDeleted(policy)) return;
      metrics.policyFailureActions.inc({ policy, action });
    },
    onViolation(policy, actions): void {
      if (isDeleted(policy)) return;
      for (const action of actions) metrics.policyViolationActions.inc({ policy, action });
    },
    onServiceAccountCheck(answer): void {
      metrics.serviceAccountChecks.inc({ answer });
    },
    onLookup(policy, verb, outcome, seconds): void {
      if (isDeleted(policy)) return;
      metrics.policyLookups.inc({ policy, verb, outcome });
      metrics.policyLookupDuration.observe({ policy }, seconds);
    },
    onPoliciesChanged(counts: Readonly<Record<PolicyState, number>>, policies: readonly PolicySummary[]): void {
      for (const [state, count] of Object.entries(counts)) metrics.policies.set({ state }, count);
      const next = new Set(policies.map((p) => p.key));
      for (const policy of loaded ?? []) if (!next.has(policy)) removeSeries(policy);
      for (const { key, stale } of policies) metrics.policyStale.set({ policy: key }, stale ? 1 : 0);
      loaded = next;
    },
  };
}

export function poolObserver(metrics: Metrics): PoolObserver {
  // Bound once per lane, as the per-policy children above: every job reports its queue wait.
  const queueWait = new Map(LANES.map((lane) => [lane, metrics.queueWait.bind({ lane })]));
  return {
    onWorkerStopped(cause) {
      metrics.workerStops.inc({ cause });
    },
    onQueueWait(lane, seconds) {
      queueWait.get(lane)!(seconds);
    },
    onWorkers(counts) {
      for (const [state, count] of Object.entries(counts)) metrics.workers.set({ state }, count);
    },
    onQueuedOnWorker(outcome) {
      metrics.jobsQueuedOnWorker.inc({ outcome });
    },
  };
}
