/**
 * Fairness between policies (docs/operations.md, "Isolation"): a policy that is slow — its
 * recent runs take more than HEAVY_POLICY_MS on average, or the pool had to stop it recently — is
 * "heavy", and every job that includes a heavy policy runs in the heavy lane. The heavy lane may
 * occupy at most half the workers (at least one), and one heavy policy at most half of those (at
 * least one); light jobs may use every idle worker. A policy whose cost is not known yet (new, or
 * its source changed) is on probation: its jobs run in the light lane, but no more of them at once
 * than one heavy policy may have, until its first run is measured — so a burst of requests for a
 * new slow policy cannot take every worker before the pool knows it is slow. So a policy that
 * keeps hitting its budget queues behind itself, while other policies and namespaces keep a share
 * of the pool of their own.
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

interface Cost {
  averageMs: number;
  stoppedAt?: number;
}

export class CostTracker {
  private readonly costs = new Map<string, Cost>();

  constructor(private readonly now: () => number = Date.now) {}

  observe(policy: string, durationMs: number): void {
    const cost = this.costs.get(policy);
    if (!cost) this.costs.set(policy, { averageMs: durationMs });
    else cost.averageMs += EWMA_WEIGHT * (durationMs - cost.averageMs);
  }

  /** The pool stopped this policy (it overran its deadline or its worker's heap cap). */
  stopped(policy: string): void {
    const cost = this.costs.get(policy) ?? { averageMs: 0 };
    cost.stoppedAt = this.now();
    this.costs.set(policy, cost);
  }

  /** A policy's source changed: what was measured no longer says anything about it. */
  forget(policy: string): void {
    this.costs.delete(policy);
  }

  /** Whether the policy has been measured (or stopped) since it loaded. */
  isKnown(policy: string): boolean {
    return this.costs.has(policy);
  }

  isHeavy(policy: string): boolean {
    const cost = this.costs.get(policy);
    if (!cost) return false;
    if (cost.stoppedAt !== undefined && this.now() - cost.stoppedAt < HEAVY_AFTER_STOP_MS) return true;
    return cost.averageMs > HEAVY_POLICY_MS;
  }

  /** What running these policies is expected to take, ms: the sum of their averages (unknown: 0). */
  expectedMs(policies: readonly string[]): number {
    let sum = 0;
    for (const policy of policies) sum += this.costs.get(policy)?.averageMs ?? 0;
    return sum;
  }

  /** The heavy policies among these, heaviest first (the one a per-policy cap applies to). */
  heavyAmong(policies: readonly string[]): string[] {
    return policies.filter((p) => this.isHeavy(p)).sort((a, b) => (this.costs.get(b)?.averageMs ?? 0) - (this.costs.get(a)?.averageMs ?? 0));
  }

  /** Forgets policies that are no longer loaded. */
  retain(policies: ReadonlySet<string>): void {
    for (const key of this.costs.keys()) if (!policies.has(key)) this.costs.delete(key);
  }
}

/** Workers the heavy lane may occupy at once, and one heavy policy within it. */
export function heavyLimits(poolSize: number): { readonly lane: number; readonly perPolicy: number } {
  const lane = Math.max(1, Math.floor(poolSize / 2));
  return { lane, perPolicy: Math.max(1, Math.floor(lane / 2)) };
}
