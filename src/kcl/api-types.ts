/**
 * The public contract of the KCL library (re-exported by index.ts): compile once, run many
 * times. `compile` and `run` return diagnostics as values and never throw.
 */
import type { Diagnostic, ErrorCode } from './diagnostics.js';
import type { Value } from './value.js';
import type { Span } from './span.js';

export interface RunLimits {
  /** Evaluation steps (expression nodes visited) before K9001. Default 1,000,000. */
  readonly maxSteps?: number;
  /** Call depth (lambdas, schema constructors) before K9002. Default 200. */
  readonly maxDepth?: number;
  /** Wall-clock budget in milliseconds before K9003. Default 1,000. */
  readonly timeoutMs?: number;
  /** Elements a single list or dict may hold before K9004. Default 1,000,000. */
  readonly maxValueSize?: number;
  /**
   * Bytes (UTF-16 code units) a single string may hold before K9004: every string a program
   * builds, and every text a builtin writes (json.encode, yaml.encode, str(), interpolation).
   * Default 4 MiB.
   */
  readonly maxStringBytes?: number;
  /**
   * Bytes of strings, list elements and dict entries (16 bytes each) a run may create in all
   * before K9004, so that many medium values cannot add up to a memory bomb. Default 64 MiB.
   */
  readonly maxAllocBytes?: number;
  /**
   * The clock the time budget reads (milliseconds, like Date.now, which is the default). Tests
   * inject a fake one; it is read once per 1,024 steps.
   */
  readonly clock?: () => number;
}

/** Levels of kclguard's `log` builtin, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One message of kclguard's `log` builtin. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
}

/**
 * A module the embedding program provides (kclguard's `kube`): `import <name>` binds it like a
 * system module, and each call of one of its functions is answered by the run's `host` handler
 * with plain JSON data. Named at compile time (so `import` and `name.fn` resolve there); answered
 * per run (so the data can differ per run).
 */
export interface HostModuleSpec {
  readonly name: string;
  readonly functions: readonly HostFunctionSpec[];
}

export interface HostFunctionSpec {
  readonly name: string;
  /** Parameter names in order (positional or keyword); a missing one is passed as null. */
  readonly params: readonly string[];
  /** How many leading parameters must be given (E2L23 otherwise). Default all. */
  readonly required?: number;
}

/** One call of a host module's function, as the host handler receives it. */
export interface HostCall {
  readonly module: string;
  readonly function: string;
  /** The arguments as plain JSON, one per parameter (null where not given). */
  readonly args: readonly unknown[];
  /** What is left of the run's time budget, in ms: the host must answer within it. */
  readonly remainingMs: number;
}

/**
 * The host's answer: plain JSON data (converted to KCL and counted against the run's size and
 * allocation budgets), or a refusal with a catalogue code (K9007-K9009 for lookups, K9003 when
 * the budget ran out while waiting, K9004 for too much data, E2G22 for a bad argument...).
 */
export type HostAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** Answers host module calls, synchronously (the program is waiting). Should not throw. */
export type HostCallHandler = (call: HostCall) => HostAnswer;

export interface CompileOptions {
  /** Modules the host provides (see HostModuleSpec); without them `import <name>` is E2F04. */
  readonly hostModules?: readonly HostModuleSpec[];
}

export interface RunOptions {
  /** Values for `option("name")`, already KCL values (see toKcl in convert.ts for JSON). */
  readonly options?: Readonly<Record<string, Value>>;
  readonly limits?: RunLimits;
  /** Receives `print()` output; default: collected into RunResult.printed. */
  readonly onPrint?: (line: string) => void;
  /** Receives each `log.<level>(...)` message; default: collected into RunResult.logs. */
  readonly onLog?: (level: LogLevel, message: string) => void;
  /** Answers calls of the host modules the program was compiled with (K9009 without it). */
  readonly host?: HostCallHandler;
}

export interface RunSuccess {
  readonly ok: true;
  /** Exported top-level variables in declaration order (`_` names and functions excluded). */
  readonly exports: Map<string, Value>;
  /** Text `print()` produced, when no onPrint was given. */
  readonly printed: string;
  /**
   * A top-level list of configs that is the module's only output: `kcl run` prints it as a
   * `---`-separated YAML stream rather than as a document.
   */
  stream?: Value[];
  /**
   * The exact text `manifests.yaml_stream()` asked `kcl run` to print instead of the YAML of
   * the exports (its documents are in `stream`).
   */
  streamText?: string;
  /** The exports plus the hidden (`_`) top-level variables, for `--show_hidden`. */
  readonly withHidden?: Map<string, Value>;
  /** Messages of the `log` builtin, when no onLog was given and at least one was logged. */
  logs?: LogEntry[];
}

export interface RunFailure {
  readonly ok: false;
  readonly diagnostic: Diagnostic;
  readonly printed: string;
  /** Messages of the `log` builtin logged before the failure (as in RunSuccess). */
  logs?: LogEntry[];
}

export type RunResult = RunSuccess | RunFailure;

export interface Program {
  readonly filename: string;
  run(options?: RunOptions): RunResult;
  /**
   * Where the main module first assigns the top-level variable `name`: the location for an
   * error about that output found after the run (a value nested too deeply to convert).
   */
  exportSpan?(name: string): Span | undefined;
}

export type CompileResult =
  | { readonly ok: true; readonly program: Program }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };
