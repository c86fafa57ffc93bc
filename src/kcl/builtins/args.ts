/**
 * Shared plumbing for builtin functions: declaring a builtin with its parameter names, reading
 * positional-or-keyword arguments, raising errors with the reference's codes at the call site,
 * and wrapping unexpected JavaScript exceptions so nothing but a KclError leaves a builtin.
 */
import type { BuiltinContext } from '../builtin-context.js';
import { BYTES_PER_STEP } from '../budget.js';
import { KclError, kclError, type ErrorCode } from '../diagnostics.js';
import { typedDisplay } from '../display.js';
import { KDict, KFloat, KFunction, SchemaInstance, UNDEFINED, typeName, type CallArgs, type Value } from '../value.js';

/** The arguments of one call, bound to parameter names, plus the context. */
export class Args {
  constructor(
    readonly fn: string,
    private readonly params: readonly string[],
    readonly call: CallArgs,
    readonly ctx: BuiltinContext,
  ) {}

  /** The argument for parameter `i` (by position, else by keyword), or undefined. */
  get(i: number): Value | undefined {
    if (i < this.call.args.length) return this.call.args[i];
    const name = this.params[i];
    return name === undefined ? undefined : this.call.kwargs.get(name);
  }

  /** Like get, but a missing argument is an error. */
  need(i: number): Value {
    const v = this.get(i);
    if (v === undefined) {
      throw this.error('E2L23', `${this.fn}() missing required argument '${this.params[i] ?? i}'`);
    }
    return v;
  }

  kw(name: string): Value | undefined {
    return this.call.kwargs.get(name);
  }

  get positional(): readonly Value[] {
    return this.call.args;
  }

  error(code: ErrorCode, message: string): KclError {
    return kclError(code, message, this.ctx.callSpan);
  }

  /** An EvaluationError (E3M38) at the call. */
  fail(message: string): KclError {
    return this.error('E3M38', message);
  }

  /** A TypeError (E2G22) naming what was expected, as the reference's checker words it. */
  typeError(expected: string, got: Value): KclError {
    return this.error('E2G22', `expected ${expected}, got ${typedDisplay(got)}`);
  }

  str(i: number): string {
    const v = this.need(i);
    if (typeof v !== 'string') throw this.typeError('str', v);
    return v;
  }

  optStr(i: number, fallback: string): string {
    const v = this.get(i);
    if (v === undefined || v === null || v === UNDEFINED) return fallback;
    if (typeof v !== 'string') throw this.typeError('str', v);
    return v;
  }

  /** An int argument used as a count, index or small operand: beyond 2^53 it is approximate. */
  int(i: number): number {
    const v = this.need(i);
    if (typeof v === 'bigint') return Number(v);
    if (typeof v !== 'number') throw this.typeError('int', v);
    return v;
  }

  /** An int argument whose exact value matters (it may be a bigint). */
  exactInt(i: number): number | bigint {
    const v = this.need(i);
    if (typeof v !== 'number' && typeof v !== 'bigint') throw this.typeError('int', v);
    return v;
  }

  optInt(i: number): number | undefined {
    const v = this.get(i);
    if (v === undefined || v === null || v === UNDEFINED) return undefined;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v !== 'number') throw this.typeError('int', v);
    return v;
  }

  /** An int or float argument as a JS number. */
  num(i: number): number {
    const v = this.need(i);
    if (typeof v === 'number') return v;
    if (v instanceof KFloat) return v.value;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'bigint') return Number(v);
    throw this.typeError('int | float', v);
  }

  list(i: number): Value[] {
    const v = this.need(i);
    if (!Array.isArray(v)) throw this.typeError('[any]', v);
    return v;
  }

  bool(i: number, fallback: boolean): boolean {
    const v = this.get(i);
    if (v === undefined || v === null || v === UNDEFINED) return fallback;
    return truthyArg(v);
  }

  fnArg(i: number): KFunction {
    const v = this.need(i);
    if (!(v instanceof KFunction)) throw this.typeError('function', v);
    return v;
  }
}

function truthyArg(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (v instanceof KFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof KDict) return v.size > 0;
  if (v instanceof SchemaInstance) return v.attrs.size > 0;
  return v !== null && v !== UNDEFINED;
}

export type BuiltinImpl = (a: Args) => Value;

/**
 * Declares a builtin. `params` names the parameters in order so keyword calls work
 * (`sorted(x, reverse=True)`); more positional arguments than that are the reference's
 * CompileError (E2L23) unless the builtin is `variadic`. Errors thrown inside become KclErrors
 * at the call span; a string result is recorded with ctx.checkBytes.
 */
export function builtin(name: string, params: readonly string[], impl: BuiltinImpl, variadic = false): KFunction {
  return new KFunction(name, (call, ctx) => {
    const context = ctx as BuiltinContext;
    if (!variadic && call.args.length > params.length) {
      throw kclError(
        'E2L23',
        `"${name}" takes ${params.length} positional argument but ${call.args.length} were given`,
        context.callSpan,
      );
    }
    // Builtins scan their string arguments (hashing, encoding, parsing): that work is charged
    // up front, one step per BYTES_PER_STEP bytes, so a call on a huge string moves the clock.
    let bytes = 0;
    for (const v of call.args) if (typeof v === 'string') bytes += v.length;
    for (const v of call.kwargs.values()) if (typeof v === 'string') bytes += v.length;
    if (bytes > BYTES_PER_STEP) context.step(Math.floor(bytes / BYTES_PER_STEP));
    let result: Value;
    try {
      result = impl(new Args(name, params, call, context));
    } catch (e) {
      throw asKclError(e, name, context);
    }
    // Every string a builtin hands back counts against the string limit and the allocation
    // budget; builtins that build large text check as they write (ctx.textBudget), so this
    // only records what they made.
    if (typeof result === 'string') context.checkBytes(result.length);
    return result;
  });
}

/** Turns anything thrown inside a builtin into a KclError at the call. */
export function asKclError(e: unknown, name: string, ctx: BuiltinContext | undefined): KclError {
  if (e instanceof KclError) return e;
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return kclError('K9002', `${name}(): maximum recursion depth exceeded`, ctx?.callSpan);
  }
  const message = e instanceof Error ? e.message : String(e);
  return kclError('E3M38', `${name}(): ${message}`, ctx?.callSpan);
}

/** A module member: `regex.match`, `json.encode` ... (named `module.member` in messages). */
export function member(
  moduleName: string,
  name: string,
  params: readonly string[],
  impl: BuiltinImpl,
  variadic = false,
): [string, KFunction] {
  return [name, builtin(`${moduleName}.${name}`, params, impl, variadic)];
}

/** The Python-ish type name the reference uses in "not iterable" style messages. */
export function kindName(v: Value): string {
  return typeName(v);
}
