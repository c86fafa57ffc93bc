/**
 * The seam between deciding and running. The engine decides on the main thread (selection,
 * consent, ServiceAccount checks, failureAction, the answer) and hands the part that runs policy
 * code — compiling sources and running programs — to a PolicyExecutor: in-process for the CLI and
 * unit tests, a pool of worker threads with hard deadlines and heap caps for the server
 * (src/engine/pool/). Everything that crosses this seam is plain data, so it can cross a
 * worker_threads message port unchanged.
 */
import type { Diagnostic } from '../kcl/index.js';
import type { EngineRequest, FailureAction } from './contract.js';
import type { PolicyDefinition } from './model.js';
import type { PolicyLogEntry } from './policy-compiler.js';
import type { LookupResponder } from './lookups/lookups.js';

/** Why a policy could not run, as data: `error` may quote object values, `summary` never does. */
export interface PolicyFailure {
  readonly error: string;
  readonly summary: string;
  /** The diagnostic code when there is one (K9003 for a timeout...). */
  readonly code?: string;
  /** Where in the policy's KCL, when the failure has a position. */
  readonly location?: { readonly file: string; readonly line: number; readonly col: number };
}

/** What a policy's recovery program chose when the policy failed, or why it could not choose. */
export type RecoveryResult =
  | { readonly action: FailureAction; readonly message?: string }
  | { readonly failed: PolicyFailure };

/** What one program run did to the object (before consent, RBAC and failureAction). */
export type RunOutcome =
  | { readonly kind: 'unchanged'; readonly note?: string }
  | { readonly kind: 'mutated' }
  | { readonly kind: 'violated'; readonly message: string; readonly location?: string }
  | ({ readonly kind: 'failed' } & PolicyFailure);

/** One policy's run inside a job. */
export interface PolicyRun {
  readonly key: string;
  readonly outcome: RunOutcome;
  readonly durationSeconds: number;
  /** Whether this run's mutation was carried into the next policy's input (and the patch). */
  readonly carried: boolean;
  readonly printed?: string;
  readonly logs?: readonly PolicyLogEntry[];
  /** Messages logged beyond the ones kept in `logs`. */
  readonly logsDropped?: number;
  /** For a failed run of a policy with a recovery program: what that program chose. */
  readonly recovery?: RecoveryResult;
}

export interface JobPolicy {
  readonly key: string;
  /**
   * Carry the policy's mutation forward (the object consents and, as far as known, its
   * ServiceAccount may mutate). When false the policy still runs — it may violate — but the next
   * policy sees the object as it was.
   */
  readonly carry: boolean;
}

/** One admission request's policies, to run in order on one executor, on one generation. */
export interface RunJob {
  readonly generation: number;
  readonly request: EngineRequest;
  readonly policies: readonly JobPolicy[];
  /**
   * Policies already known to have failed in an earlier attempt of this job (their executor was
   * stopped): reported as failed without running again.
   */
  readonly knownFailures?: Readonly<Record<string, KnownFailure>>;
  /** Policies whose recovery program the executor had to stop: it does not run again. */
  readonly recoveryStopped?: readonly string[];
}

/** A failure found outside the run itself (the executor stopped the policy), with its time. */
export interface KnownFailure extends PolicyFailure {
  readonly durationSeconds?: number;
}

export interface JsonPatchOperation {
  readonly op: string;
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

export interface RunReport {
  /** One entry per job policy, in job order. */
  readonly runs: readonly PolicyRun[];
  /** RFC 6902 patch from the admitted object to the last carried output (mutate phase). */
  readonly patch: readonly JsonPatchOperation[];
}

/** A policy as an executor compiles it: enough to run it without the rest of the engine. */
export interface ExecutablePolicy {
  readonly definition: PolicyDefinition;
  /** What diagnostics name, e.g. `team-a/add-labels.k`. */
  readonly filename: string;
  /**
   * Set when the outcome is already known and the source must not be compiled again here (the
   * pool's probe compile stopped it: K9003/K9004 at load).
   */
  readonly knownOutcome?: CompileOutcome;
}

export type CompileOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly diagnostics: readonly Diagnostic[];
      readonly errors: readonly string[];
      /** Set when the executor stopped the compile (deadline or heap cap): do not compile it again. */
      readonly stopped?: boolean;
    };

export interface PolicyExecutor {
  /**
   * Makes a policy generation runnable everywhere jobs may run, and reports how each policy
   * compiled. Jobs naming this generation may be submitted once it resolves.
   */
  prepare(generation: number, policies: readonly ExecutablePolicy[]): Promise<ReadonlyMap<string, CompileOutcome>>;
  /** Compiles one policy on its own (the admission check of a KCLRun being written). */
  compile(policy: ExecutablePolicy, deadline?: number): Promise<CompileOutcome>;
  run(job: RunJob): Promise<RunReport>;
  /** No job will name this generation any more. */
  release(generation: number): void;
  /**
   * Answer the programs' `kube.get` / `kube.list` calls with this responder (cluster mode, the
   * offline commands). Without one, every lookup fails (K9009).
   */
  serveLookups?(responder: LookupResponder): void;
  close(): Promise<void>;
}
