/**
 * What `kclguard serve` runs, whatever feeds it policies: the local policy directory or the
 * cluster's informers. The server and the lifecycle code see only this.
 */
import type { AdmissionHandler } from './contract.js';
import type { PolicySnapshot } from './policy-set.js';

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready, for humans reading /readyz. */
  readonly reason?: string;
}

export interface EngineRuntime {
  /** The admission handler (policy writes are validated before anything else). */
  readonly handler: AdmissionHandler;
  /** Ready once policies are loaded and runnable; liveness does not depend on it. */
  readiness(): Readiness;
  /** Lines printed at start-up: where policies come from and how many loaded. */
  describe(): string[];
  /** The policies loaded now. */
  snapshot(): PolicySnapshot;
  /** Loads the policies again from their source now; resolves with what loaded. */
  reload(): Promise<PolicySnapshot>;
  /** Stops watching sources; reviews in flight finish on their snapshot. */
  close(): Promise<void>;
}
