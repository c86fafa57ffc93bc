/**
 * Helpers for the builtins' tests: a BuiltinContext that records output, and decoding of the
 * tagged values in the captured fixtures.
 */
import type { BuiltinContext } from '../builtin-context.js';
import type { LogLevel } from '../api-types.js';
import { kclError } from '../diagnostics.js';
import { ELEMENT_BYTES, TextBudget, containerBytes, sizeError } from '../budget.js';
import { span } from '../span.js';
import { KDict, KFloat, KFunction, UNDEFINED, type CallArgs, type Value } from '../value.js';
import { makeUnit } from '../units-core.js';

export class TestContext implements BuiltinContext {
  readonly printed: string[] = [];
  steps = 0;
  readonly callSpan = span('main.k', 1, 5);
  constructor(private readonly options: Record<string, Value> = {}) {}
  option(name: string): Value | undefined {
    return Object.prototype.hasOwnProperty.call(this.options, name) ? this.options[name] : undefined;
  }
  print(text: string): void {
    this.printed.push(text);
  }
  callFunction(fn: KFunction, args: CallArgs): Value {
    return fn.call(args, this);
  }
  step(count = 1): void {
    this.steps += count;
  }
  stream: { docs: readonly Value[]; text: string } | undefined;
  setOutputStream(docs: readonly Value[], text: string): void {
    this.stream = { docs, text };
  }
  readonly logs: { level: LogLevel; message: string }[] = [];
  log(level: LogLevel, message: string): void {
    this.logs.push({ level, message });
  }
  /** The default limits of a run (DEFAULT_LIMITS). */
  maxValueSize = 1_000_000;
  maxStringBytes = 4 * 1024 * 1024;
  /** Bytes recorded by checkSize/checkBytes (no budget: tests read it). */
  allocated = 0;
  checkSize(size: number): void {
    if (size > this.maxValueSize) throw kclError('K9004', `value of ${size} elements exceeds the size limit of ${this.maxValueSize}`, this.callSpan);
    this.allocated += size * ELEMENT_BYTES;
  }
  checkContainer(kind: 'list' | 'dict', size: number): void {
    if (size > this.maxValueSize) throw kclError('K9004', `value of ${size} elements exceeds the size limit of ${this.maxValueSize}`, this.callSpan);
    this.allocated += containerBytes(kind, size);
  }
  allocate(bytes: number): void {
    this.allocated += bytes;
  }
  checkBytes(bytes: number): void {
    if (bytes > this.maxStringBytes) throw sizeError('string', bytes, this.maxStringBytes, this.callSpan);
    this.allocated += bytes;
  }
  textBudget(what = 'string'): TextBudget {
    return new TextBudget(this.maxStringBytes, this, what, this.callSpan);
  }
  hostCall(call: { module: string; function: string }): Value {
    throw kclError('K9009', `${call.module}.${call.function}(): no host in builtin tests`, this.callSpan);
  }
}

/** Decodes fixture values: {$f} float, {$u} unit, {$undef}, {$fn} identity function, {$d} dict. */
export function fromSpec(spec: unknown): Value {
  if (spec === null || typeof spec === 'string' || typeof spec === 'boolean' || typeof spec === 'number') return spec;
  if (Array.isArray(spec)) return spec.map(fromSpec);
  const o = spec as Record<string, unknown>;
  if ('$f' in o) return new KFloat(o.$f as number);
  if ('$u' in o) {
    const [n, suffix] = o.$u as [number, string];
    return makeUnit(n, suffix);
  }
  if ('$undef' in o) return UNDEFINED;
  if ('$fn' in o) return new KFunction('lambda', (call) => call.args[0] ?? null);
  const d = new KDict();
  for (const [k, v] of o.$d as [string, unknown][]) d.set(k, fromSpec(v));
  return d;
}

export function call(fn: KFunction, args: Value[], kwargs: Record<string, Value> = {}, ctx = new TestContext()): Value {
  return fn.call({ args, kwargs: new Map(Object.entries(kwargs)) }, ctx);
}
