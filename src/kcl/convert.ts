/**
 * Crossing between KCL values and plain JavaScript data (JSON): options and admission objects
 * come in through toKcl; results leave through toPlain.
 */
import { floatToInt, normInt } from './int64.js';
import { KDict, KFloat, KFunction, KModule, KUnit, SchemaInstance, UNDEFINED, isSchemaType, type Value } from './value.js';
import type { TextBudget } from './budget.js';

/**
 * JSON data -> KCL value. Objects become KDicts in key order, integral numbers ints, other
 * numbers floats. `undefined` members are skipped, as JSON would.
 */
export function toKcl(json: unknown): Value {
  if (json === null || json === undefined) return null;
  switch (typeof json) {
    case 'string':
    case 'boolean':
      return json;
    case 'number':
      // JSON.parse cannot carry ints beyond 2^53 exactly: callers holding exact digits pass a bigint.
      if (Number.isSafeInteger(json)) return json;
      return Number.isInteger(json) ? floatToInt(json) : new KFloat(json);
    case 'bigint':
      return toKclInt(json);
  }
  if (Array.isArray(json)) return json.map(toKcl);
  if (typeof json === 'object') {
    const d = new KDict();
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      if (v !== undefined) d.set(k, toKcl(v));
    }
    return d;
  }
  return null;
}

/** What chargeJson counts against: a run's size and allocation checks (RunState, a builtin's context). */
export interface JsonCharges {
  checkContainer(kind: 'list' | 'dict', size: number): void;
  checkBytes(bytes: number): void;
}

/**
 * Counts JSON data about to become KCL values (toKcl) the way values a program builds are
 * counted: each list and dict against the value-size limit and the allocation budget (with the
 * container's own heap, as a decoder's: budget.ts, containerBytes), each
 * string and key against the string limit and the allocation budget (which also charges steps).
 * Throws K9004 at the first value over a limit, before anything is converted.
 */
export function chargeJson(json: unknown, charges: JsonCharges): void {
  if (typeof json === 'string') {
    charges.checkBytes(json.length);
    return;
  }
  if (typeof json !== 'object' || json === null) return;
  if (Array.isArray(json)) {
    charges.checkContainer('list', json.length);
    for (const item of json) chargeJson(item, charges);
    return;
  }
  const entries = Object.entries(json as Record<string, unknown>);
  charges.checkContainer('dict', entries.length);
  for (const [key, value] of entries) {
    charges.checkBytes(key.length);
    chargeJson(value, charges);
  }
}

export interface PlainOptions {
  /** Keep `_`-prefixed keys of dicts and schema instances (the reference's show_hidden);
   *  by default they are hidden at every level, as `kcl run` does. */
  readonly showHidden?: boolean;
  /**
   * Keep `_`-prefixed keys of dicts only: data (a ConfigMap's `_config`) keeps its keys, while a
   * schema instance's `_` attributes, private to its schema, stay hidden (the engine's output).
   */
  readonly showHiddenDictKeys?: boolean;
  /** Drop None values inside dicts and lists (the reference's disable_none). */
  readonly dropNone?: boolean;
  /**
   * Counts the output as it is built, in bytes of its JSON text (`plainJsonBytes` of each
   * piece), so an output that would serialize past the budget's limit stops with K9004 before
   * it is built or serialized (the policy's 400 annotations of 1 MB each). Shared values are
   * counted every time they appear, as the JSON would repeat them.
   */
  readonly budget?: TextBudget;
}

/**
 * KCL value -> plain JSON-compatible data. Dicts and schema instances become objects in
 * insertion order; floats and unit numbers numbers (a unit number is the quantity it stands
 * for, `1Gi` -> 1073741824, as the reference outputs it); Undefined entries, functions and
 * `_`-prefixed keys are dropped. Note the float/int distinction is lost (`1.0` -> 1); the YAML renderer works on
 * values directly to keep it. An int beyond ±(2^53 - 1) stays an exact `bigint`: JSON.stringify
 * rejects those, so a caller writing JSON serialises them itself (see `plainToJson`).
 */
export function toPlain(v: Value, opts: PlainOptions = {}): unknown {
  const budget = opts.budget;
  if (budget) budget.node();
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') {
    budget?.add(plainJsonBytes(v));
    return v;
  }
  if (v === UNDEFINED) return undefined;
  if (v instanceof KFloat || v instanceof KUnit) {
    const n = v instanceof KFloat ? v.value : v.value * v.multiplier;
    budget?.add(plainJsonBytes(n));
    return n;
  }
  if (Array.isArray(v)) {
    budget?.add(2);
    const out: unknown[] = [];
    for (const item of v) {
      if (isDropped(item, opts)) continue;
      budget?.add(1);
      out.push(toPlain(item, opts));
    }
    return out;
  }
  if (v instanceof KDict || v instanceof SchemaInstance) {
    budget?.add(2);
    const entries = v instanceof KDict ? v.entries : v.attrs;
    const out: Record<string, unknown> = {};
    for (const [k, item] of entries) {
      if (isDropped(item, opts)) continue;
      if (k.startsWith('_') && !opts.showHidden && !(opts.showHiddenDictKeys && v instanceof KDict)) continue;
      budget?.add(plainJsonBytes(k) + 2);
      // `__proto__` is an ordinary key in Kubernetes data (a ConfigMap may hold one); plain
      // assignment would set the prototype instead and silently drop the key.
      if (k === '__proto__') Object.defineProperty(out, k, { value: toPlain(item, opts), enumerable: true, writable: true, configurable: true });
      else out[k] = toPlain(item, opts);
    }
    return out;
  }
  return undefined;
}

/**
 * The length of a plain scalar (or key) as JSON text, without building it: a string's length
 * plus its quotes (escapes not counted), a number's digits. What toPlain's budget counts, and
 * what a caller converting by other means (the engine's shared conversion) should count too.
 */
export function plainJsonBytes(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v).length : 4;
  if (typeof v === 'bigint') return v.toString().length;
  if (typeof v === 'boolean') return v ? 4 : 5;
  return 4;
}

/** Values that never reach output: Undefined, functions, types, modules (and None when asked). */
export function isDropped(v: Value, opts: PlainOptions = {}): boolean {
  return (
    v === UNDEFINED ||
    v instanceof KFunction ||
    v instanceof KModule ||
    isSchemaType(v) ||
    (v === null && opts.dropNone === true)
  );
}

/** A bigint from exact JSON digits -> a KCL int: the reference's i64, saturating beyond it. */
function toKclInt(b: bigint): Value {
  if (b > 9223372036854775807n) return floatToInt(Number(b));
  if (b < -9223372036854775808n) return floatToInt(Number(b));
  return normInt(b);
}

/**
 * JSON text of plain data from toPlain, with bigints written as their exact digits (Node 20's
 * JSON.stringify throws on them). Same output as JSON.stringify for data without bigints.
 */
export function plainToJson(plain: unknown): string {
  if (plain === undefined) return 'null';
  if (typeof plain === 'bigint') return plain.toString();
  if (plain === null || typeof plain !== 'object') return JSON.stringify(plain) ?? 'null';
  if (Array.isArray(plain)) return `[${plain.map((x) => (x === undefined ? 'null' : plainToJson(x))).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(plain as Record<string, unknown>)) {
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${plainToJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

function childrenOf(v: Value): Iterable<Value> | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof KDict) return v.entries.values();
  if (v instanceof SchemaInstance) return v.attrs.values();
  return undefined;
}

/**
 * How deeply `root` nests lists, dicts and schema instances (0 for a scalar), walked without
 * recursion and once per shared container, so it answers for values too deep to convert.
 */
export function nestingDepth(root: Value): number {
  const first = childrenOf(root);
  if (!first) return 0;
  const known = new Map<object, number>();
  const stack: { v: object; kids: Iterator<Value>; max: number }[] = [{ v: root as object, kids: first[Symbol.iterator](), max: 0 }];
  for (;;) {
    const top = stack[stack.length - 1]!;
    const next = top.kids.next();
    if (!next.done) {
      const kids = childrenOf(next.value);
      if (!kids) continue;
      const depth = known.get(next.value as object);
      if (depth !== undefined) top.max = Math.max(top.max, depth);
      else stack.push({ v: next.value as object, kids: kids[Symbol.iterator](), max: 0 });
      continue;
    }
    stack.pop();
    const depth = top.max + 1;
    known.set(top.v, depth);
    if (stack.length === 0) return depth;
    const parent = stack[stack.length - 1]!;
    parent.max = Math.max(parent.max, depth);
  }
}

/** The name of the most deeply nested of `outputs` (the one a recursive conversion overflowed on). */
export function deepestOutput(outputs: ReadonlyMap<string, Value>): string | undefined {
  let deepest: string | undefined;
  let max = -1;
  for (const [name, v] of outputs) {
    const depth = nestingDepth(v);
    if (depth > max) {
      max = depth;
      deepest = name;
    }
  }
  return deepest;
}
