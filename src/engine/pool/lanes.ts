/**
 * Fairness between policies and between namespaces (docs/operations.md, "Isolation"). A policy's
 * cost is measured per namespace of the objects it runs on (costScope): a policy whose recent
 * runs on one namespace's objects take more than HEAVY_POLICY_MS on average, or that the pool had
 * to stop there recently, is "heavy" for that namespace, and every job from there that includes
 * it runs in the heavy lane. A namespace not measured yet counts as the policy does overall. The
 * heavy lane may occupy at most half the workers (at least one), and one heavy policy in one
 * namespace at most half of those (at least one); the lane takes turns between them; light jobs
 * may use every idle worker. A policy whose cost is not known at all yet (new, or its source
 * changed) is on probation: its jobs run in the light lane, but no more of them at once than one
 * heavy policy may have, until its first run is measured — so a burst of requests for a new slow
 * policy cannot take every worker before the pool knows it is slow. So a policy that keeps
 * hitting its budget on one tenant's objects queues behind itself there, while the same policy on
 * other namespaces' objects, and other policies, keep a share of the pool of their own.
 */

/** Average run time above which a policy counts as heavy. */
export const HEAVY_POLICY_MS = 5;
/** How long a policy the pool had to stop (deadline or heap cap) stays heavy. */
export const HEAVY_AFTER_STOP_MS = 5 * 60_000;
/** Weight of the newest run in the running average. */
const EWMA_WEIGHT = 0.2;

/** `background`: background audit's jobs, which run only when no admission job waits. */
export type Lane = 'light' | 'heavy' | 'background';
export const LANES: readonly Lane[] = ['light', 'heavy', 'background'];

/** Namespaces remembered per policy; beyond it the one measured least recently is forgotten. */
export const MAX_SCOPES_PER_POLICY = 1_000;

/**
 * Whose objects a job's costs are counted for: the object's namespace ('' for a cluster-scoped
 * one). Tenants are namespaces; one whose objects make a shared ClusterKCLRun slow must not make
 * it slow for everybody else.
 */
export function costScope(request: { readonly namespace?: string }): string {
  return request.namespace ?? '';
}

interface Cost {
  averageMs: number;
  stoppedAt?: number;
}

interface PolicyCosts {
  /** Every run of the policy: what a namespace not measured yet is taken to cost. */
  readonly overall: Cost;
  /** Per namespace, least recently measured first. */
  readonly scopes: Map<string, Cost>;
}

function update(cost: Cost, durationMs: number): void {
  cost.averageMs += EWMA_WEIGHT * (durationMs - cost.averageMs);
}

export class CostTracker {
  private readonly costs = new Map<string, PolicyCosts>();

  constructor(private readonly now: () => number = Date.now) {}

  observe(policy: string, scope: string, durationMs: number): void {
    const costs = this.costs.get(policy);
    if (!costs) {
      this.costs.set(policy, { overall: { averageMs: durationMs }, scopes: new Map([[scope, { averageMs: durationMs }]]) });
      return;
    }
    update(costs.overall, durationMs);
    const own = costs.scopes.get(scope);
    if (own) update(own, durationMs);
    this.remember(costs, scope, own ?? { averageMs: durationMs });
  }

  /** The pool stopped this policy (it overran its deadline or its worker's heap cap) on this namespace's object. */
  stopped(policy: string, scope: string): void {
    const at = this.now();
    const costs = this.costs.get(policy) ?? { overall: { averageMs: 0 }, scopes: new Map<string, Cost>() };
    this.costs.set(policy, costs);
    costs.overall.stoppedAt = at;
    const own = costs.scopes.get(scope) ?? { averageMs: costs.overall.averageMs };
    own.stoppedAt = at;
    this.remember(costs, scope, own);
  }

  /** A policy's source changed: what was measured no longer says anything about it. */
  forget(policy: string): void {
    this.costs.delete(policy);
  }

  /** Whether the policy has been measured (or stopped) since it loaded, on any namespace. */
  isKnown(policy: string): boolean {
    return this.costs.has(policy);
  }

  isHeavy(policy: string, scope: string): boolean {
    const cost = this.costOf(policy, scope);
    if (!cost) return false;
    if (cost.stoppedAt !== undefined && this.now() - cost.stoppedAt < HEAVY_AFTER_STOP_MS) return true;
    return cost.averageMs > HEAVY_POLICY_MS;
  }

  /** What running these policies on this namespace's object is expected to take, ms (unknown: 0). */
  expectedMs(policies: readonly string[], scope: string): number {
    let sum = 0;
    for (const policy of policies) sum += this.costOf(policy, scope)?.averageMs ?? 0;
    return sum;
  }

  /** The heavy policies among these, for this namespace, heaviest first (the one a cap applies to). */
  heavyAmong(policies: readonly string[], scope: string): string[] {
    const average = (policy: string): number => this.costOf(policy, scope)?.averageMs ?? 0;
    return policies.filter((p) => this.isHeavy(p, scope)).sort((a, b) => average(b) - average(a));
  }

  /** Forgets policies that are no longer loaded. */
  retain(policies: ReadonlySet<string>): void {
    for (const key of this.costs.keys()) if (!policies.has(key)) this.costs.delete(key);
  }

  private costOf(policy: string, scope: string): Cost | undefined {
    const costs = this.costs.get(policy);
    return costs && (costs.scopes.get(scope) ?? costs.overall);
  }

  /** Records the namespace's cost as the most recently measured, forgetting the oldest beyond the bound. */
  private remember(costs: PolicyCosts, scope: string, cost: Cost): void {
    costs.scopes.delete(scope);
    costs.scopes.set(scope, cost);
    if (costs.scopes.size > MAX_SCOPES_PER_POLICY) costs.scopes.delete(costs.scopes.keys().next().value!);
  }
}

/** Heavy policies and namespaces whose last turn is remembered; a forgotten one gets the next turn. */
const MAX_HEAVY_TURNS = 4_096;

/** When each heavy policy and namespace (a job's heavy key) last started a job, for the heavy lane's turns. */
export class HeavyTurns {
  private readonly turns = new Map<string, number>();
  private starts = 0;

  /** The count of heavy starts when this key last started a job; -1 if never (or forgotten). */
  lastOf(heavyKey: string): number {
    return this.turns.get(heavyKey) ?? -1;
  }

  took(heavyKey: string): void {
    this.turns.delete(heavyKey);
    this.turns.set(heavyKey, this.starts++);
    if (this.turns.size > MAX_HEAVY_TURNS) this.turns.delete(this.turns.keys().next().value!);
  }
}

/** Workers the heavy lane may occupy at once, and one heavy policy (on one namespace) within it. */
export function heavyLimits(poolSize: number): { readonly lane: number; readonly perPolicy: number } {
  const lane = Math.max(1, Math.floor(poolSize / 2));
  return { lane, perPolicy: Math.max(1, Math.floor(lane / 2)) };
}
