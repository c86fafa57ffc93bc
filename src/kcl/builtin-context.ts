/**
 * What a builtin function may ask of the running evaluation. The evaluator implements it and
 * passes it as the `ctx` argument of KFunction.call; builtins stay free of evaluator internals.
 */
import type { CallArgs, KFunction, Value } from './value.js';
import type { Span } from './span.js';
import type { LogLevel } from './api-types.js';

export interface BuiltinContext {
  /** `option(name)`: the value given for it, or undefined when none was. */
  option(name: string): Value | undefined;
  /** `print(...)`: one finished line of output (the builtin formats it). */
  print(text: string): void;
  /** Call a KCL function (a lambda or builtin) from inside a builtin (e.g. runtime.catch). */
  callFunction(fn: KFunction, args: CallArgs): Value;
  /** Count work done inside a builtin against the step budget (e.g. per element sorted). */
  step(count?: number): void;
  /**
   * Check the size of a value a builtin is about to build (list elements, string length)
   * against the run's value-size limit, before building it: raises K9004 when too large.
   */
  checkSize(size: number): void;
  /**
   * `manifests.yaml_stream(...)`: the documents and the exact text that replace the run's YAML
   * output (the last call wins, as in the reference).
   */
  setOutputStream(docs: readonly Value[], text: string): void;
  /** kclguard's `log` builtin (not in KCL): one policy-debugging message at a level. */
  log(level: LogLevel, message: string): void;
  /** Where the current call is, for diagnostics raised by the builtin. */
  readonly callSpan: Span | undefined;
}
