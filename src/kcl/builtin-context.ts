/**
 * What a builtin function may ask of the running evaluation. The evaluator implements it and
 * passes it as the `ctx` argument of KFunction.call; builtins stay free of evaluator internals.
 */
import type { CallArgs, KFunction, Value } from './value.js';
import type { Span } from './span.js';
import type { HostCall, LogLevel } from './api-types.js';
import type { Meter, TextBudget } from './budget.js';

export interface BuiltinContext extends Meter {
  /** `option(name)`: the value given for it, or undefined when none was. */
  option(name: string): Value | undefined;
  /** `print(...)`: one finished line of output (the builtin formats it). */
  print(text: string): void;
  /** Call a KCL function (a lambda or builtin) from inside a builtin (e.g. runtime.catch). */
  callFunction(fn: KFunction, args: CallArgs): Value;
  /**
   * Count work done inside a builtin against the step budget: one step per element touched and
   * one per BYTES_PER_STEP bytes scanned (budget.ts). Also where the clock is read.
   */
  step(count?: number): void;
  /**
   * Check the element count of a list or dict a builtin is about to build against the run's
   * value-size limit and allocation budget, before building it: raises K9004 when too large.
   */
  checkSize(size: number): void;
  /**
   * Like checkSize, for a list or dict built from text (json/yaml decode, regex matches), whose
   * charge also counts the container's own heap (budget.ts, containerBytes), so text of many
   * small containers ends with K9004 rather than filling the heap.
   */
  checkContainer(kind: 'list' | 'dict', size: number): void;
  /** Counts `bytes` of other heap a builtin holds (a parser's own tree) against the allocation budget: K9004 beyond it. */
  allocate(bytes: number): void;
  /**
   * Check the length of a string a builtin is about to build against the string limit and the
   * allocation budget (and charge the copying), before building it: K9004 when too large.
   * Every string a builtin returns is also checked after the fact (builtin() in args.ts).
   */
  checkBytes(bytes: number): void;
  /** A budget for text a builtin writes piece by piece (json.encode, str()): K9004 past it. */
  textBudget(what?: string): TextBudget;
  /**
   * `manifests.yaml_stream(...)`: the documents and the exact text that replace the run's YAML
   * output (the last call wins, as in the reference).
   */
  setOutputStream(docs: readonly Value[], text: string): void;
  /** kclguard's `log` builtin (not in KCL): one policy-debugging message at a level. */
  log(level: LogLevel, message: string): void;
  /**
   * A call of a host module's function (HostModuleSpec), answered by the run's host handler; the
   * answer is converted to KCL, counted against the size, allocation and time budgets. Raises
   * the host's refusal as a KclError at the call.
   */
  hostCall(call: Omit<HostCall, 'remainingMs'>): Value;
  /** Where the current call is, for diagnostics raised by the builtin. */
  readonly callSpan: Span | undefined;
}
