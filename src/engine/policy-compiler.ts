/**
 * What the engine needs from a KCL implementation: compile a source once, run it many times
 * with plain-JSON options, get plain-JSON exports back. The real implementation wraps src/kcl
 * (kcl-compiler.ts); tests of engine logic that is not about KCL may inject a fake.
 */
import type { Diagnostic, HostCallHandler } from '../kcl/index.js';
import type { ResolvedSource } from './model.js';

export interface PolicyRunLimits {
  /** Wall-clock budget in milliseconds. */
  readonly timeoutMs: number;
  readonly maxSteps?: number;
  readonly maxDepth?: number;
  /** The clock the budget reads (ms, like Date.now): the engine's, so a test clock reaches the run. */
  readonly clock?: () => number;
}

/** One `log.<level>(...)` message of a policy (kclguard's log module). */
export interface PolicyLogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
}

export type PolicyRunResult =
  | {
      readonly ok: true;
      /** Top-level exported variables, in declaration order, as plain JSON values. */
      readonly exports: ReadonlyMap<string, unknown>;
      /** Text print() produced. */
      readonly printed: string;
      readonly logs?: readonly PolicyLogEntry[];
    }
  | { readonly ok: false; readonly diagnostic: Diagnostic; readonly printed: string; readonly logs?: readonly PolicyLogEntry[] };

/**
 * Shared by every run of one admission request (a fresh one per request), so a compiler can
 * reuse work across that request's policies: the same object and request view cross into every
 * policy, and an unchanged object comes back from each. Opaque to the engine. Within a session
 * the plain options must not be mutated between runs (the engine never mutates them).
 */
export interface RunSession {
  /** The compiler's own per-request state. A plain slot rather than a WeakMap keyed by the
   *  session: a WeakMap entry per request is an ephemeron, which costs the garbage collector. */
  compilerState?: unknown;
}

export interface PolicyProgram {
  /**
   * Never throws. `options` are plain JSON values for option("name"); `host` answers the
   * program's `kube` calls (without it they fail with K9009).
   */
  run(options: Readonly<Record<string, unknown>>, limits: PolicyRunLimits, session?: RunSession, host?: HostCallHandler): PolicyRunResult;
}

export type PolicyCompileResult =
  | { readonly ok: true; readonly program: PolicyProgram }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export interface PolicyCompiler {
  /** Never throws. `filename` is what diagnostics name (e.g. `team-a/add-labels.k`). */
  compile(source: string, filename: string): PolicyCompileResult;
  /** Compiles a KCL package (an oci:// source, or a source with dependencies). Never throws. */
  compilePackage?(resolved: ResolvedSource): PolicyCompileResult;
}
