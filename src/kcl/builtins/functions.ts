/**
 * KCL's builtin functions (option, print, len, sorted, int, ...), following the reference
 * (kcl-lib 0.13.2) including its quirks where a policy could observe them: `len` of a string
 * counts UTF-8 bytes, `print` ignores `sep`, `round` halves away from zero without ndigits and
 * ties-to-even with them, `abs`/`round` of a non-number give Undefined. Deviations are listed in
 * docs/kcl-builtins.md.
 */
import { compare, compareStrings, equals } from '../compare.js';
import { chargeWholeString, stepsForBytes } from '../budget.js';
import { displayValue } from '../display.js';
import { floatToInt, intAbs, intMod, intPowSaturating, isInt, normInt, toBigInt } from '../int64.js';
import {
  KDict,
  KFloat,
  KFunction,
  KUnit,
  SchemaInstance,
  UNDEFINED,
  isNullish,
  isSchemaType,
  truthy,
  typeName,
  type Value,
} from '../value.js';
import { builtin, type Args } from './args.js';
import { optionBuiltin } from './option.js';
import { addValues, checkedInt, floatOf, intFromString, isNumeric, numberOf, roundHalfAway } from './numbers.js';

/** The elements `for x in v` visits: list items, string characters, dict/schema keys. */
export function iterate(v: Value, a: Args): Value[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') {
    a.ctx.checkSize(v.length);
    return Array.from(v);
  }
  if (v instanceof KDict) {
    a.ctx.checkSize(v.size);
    return [...v.keys()];
  }
  if (v instanceof SchemaInstance) {
    a.ctx.checkSize(v.attrs.size);
    return [...v.attrs.keys()];
  }
  throw a.fail(`'${typeName(v)}' object is not iterable`);
}

const len = builtin('len', ['inst'], (a) => {
  const v = a.need(0);
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof KDict) return v.size;
  if (v instanceof SchemaInstance) return v.attrs.size;
  if (v === null || v === UNDEFINED) throw a.fail(`object of type '${typeName(v)}' has no len()`);
  throw a.typeError('str | {any:any} | [any]', v);
});

const print = builtin('print', [], (a) => {
  // The reference ignores `sep`; only `end` is honoured.
  const end = a.kw('end');
  const budget = a.ctx.textBudget('print output');
  const text = a.positional.map((v) => displayValue(v, budget)).join(' ') + (typeof end === 'string' ? end : '\n');
  // Printed text stays in memory until the run ends: it counts against the run's budgets.
  a.ctx.checkBytes(text.length);
  a.ctx.print(text);
  return null;
}, true);

const abs = builtin('abs', ['x'], (a) => {
  const v = a.need(0);
  if (isInt(v)) return intAbs(v);
  if (v instanceof KFloat) return new KFloat(Math.abs(v.value));
  return UNDEFINED;
});

const allTrue = builtin('all_true', ['inst'], (a) => {
  const items = a.list(0);
  a.ctx.step(items.length);
  return items.every(truthy);
});
const anyTrue = builtin('any_true', ['inst'], (a) => {
  const items = a.list(0);
  a.ctx.step(items.length);
  return items.some(truthy);
});

const isunique = builtin('isunique', ['inst'], (a) => {
  const items = a.list(0);
  a.ctx.step(items.length);
  const seen = new UniqueSeen(a);
  for (const item of items) if (!seen.add(item)) return false;
  return true;
});

/**
 * The items isunique has seen, so that each new one is checked in constant work where equality
 * allows: numbers in a set of f64 values (1 and 1.0 are the same number), ints beyond 2^53
 * (bigints) in a set of their own, strings as themselves (no key string built per item), units
 * and functions need no memory at all. Only lists, dicts and schema instances compare pairwise,
 * and only against those of the same kind and size (the only ones they can equal), each
 * comparison a step: a list of many distinct bigints, or of containers of different sizes, was
 * O(n^2) uncharged work (60,000 bigints took 16 s against a 1 s budget).
 */
const SEEN_ENTRY_BYTES = 48;

class UniqueSeen {
  private readonly strings = new Set<string>();
  /** Ints within ±(2^53 - 1) and float values. */
  private readonly numbers = new Set<number>();
  private readonly bigints = new Set<bigint>();
  /** The f64 of each bigint seen: an int equals a float through f64, never a smaller int. */
  private readonly bigintFloats = new Set<number>();
  /** true, false, None, Undefined and a function seen (any two functions are equal). */
  private readonly others = new Set<unknown>();
  private readonly containers = new Map<string, Value[]>();

  constructor(private readonly a: Args) {}

  /** Records `item`; false when an equal one was seen before. */
  add(item: Value): boolean {
    // Each item recorded holds a set entry (30-70 bytes with the table's growth, measured) for
    // as long as the call runs: a million of them is a memory bomb the list's own charge misses.
    this.a.ctx.allocate(SEEN_ENTRY_BYTES);
    if (typeof item === 'string') {
      chargeWholeString(this.a.ctx, item.length);
      return isNew(this.strings, item);
    }
    if (typeof item === 'number') return isNew(this.numbers, item + 0);
    if (item instanceof KFloat) {
      if (this.bigintFloats.has(item.value)) return false;
      // -0 is 0; two NaNs count as the same, as they did by key before.
      return isNew(this.numbers, item.value + 0);
    }
    if (typeof item === 'bigint') {
      // Bigints are outside ±(2^53 - 1) (normInt): `numbers` can only match one by a float.
      const f = Number(item);
      if (this.bigints.has(item) || this.numbers.has(f)) return false;
      this.bigints.add(item);
      this.bigintFloats.add(f);
      return true;
    }
    if (typeof item === 'boolean' || item === null || item === UNDEFINED) return isNew(this.others, item);
    if (item instanceof KFunction) return isNew(this.others, KFunction);
    // A unit number equals nothing, not even itself.
    if (item instanceof KUnit) return true;
    const shape = containerShape(item);
    let same = this.containers.get(shape);
    if (!same) this.containers.set(shape, (same = []));
    for (const other of same) {
      this.a.ctx.step();
      if (equals(other, item, this.a.ctx)) return false;
    }
    same.push(item);
    return true;
  }
}

/** Adds `x` to `set`; false when it was there already. */
function isNew<T>(set: Set<T>, x: T): boolean {
  if (set.has(x)) return false;
  set.add(x);
  return true;
}

/** Lists, dicts and schema instances can only equal one of the same kind and size (compare.ts). */
function containerShape(v: Value): string {
  if (Array.isArray(v)) return `l${v.length}`;
  if (v instanceof KDict) return `d${v.size}`;
  if (v instanceof SchemaInstance) return `i${v.attrs.size} ${v.schema.pkgpath}.${v.schema.name}`;
  return 'other';
}

const isnullish = builtin('isnullish', ['inst'], (a) => isNullish(a.need(0)));

const multiplyof = builtin('multiplyof', ['a', 'b'], (a) => {
  // With None (or Undefined) for either number, the reference answers Undefined.
  const [x0, y0] = [a.get(0), a.get(1)];
  if ((x0 !== undefined && isNullish(x0)) || (y0 !== undefined && isNullish(y0))) return UNDEFINED;
  const x = a.exactInt(0);
  const y = a.exactInt(1);
  if (y === 0) throw a.fail('attempt to calculate the remainder with a divisor of zero');
  return intMod(x, y, a.ctx.callSpan) === 0;
});

/** sorted()'s element order: numbers with numbers, strings with strings, nothing else. */
function sortOrder(x: Value, y: Value, a: Args): number {
  if (isInt(x) && isInt(y)) return x < y ? -1 : x > y ? 1 : 0;
  if (isNumeric(x) && isNumeric(y)) {
    const d = numberOf(x) - numberOf(y);
    return d < 0 ? -1 : d > 0 ? 1 : 0;
  }
  if (typeof x === 'string' && typeof y === 'string') {
    a.ctx.step(stepsForBytes(Math.min(x.length, y.length)));
    return compareStrings(x, y);
  }
  throw a.fail(`cannot compare ${typeName(x)} and ${typeName(y)}`);
}

const sorted = builtin('sorted', ['inst', 'reverse'], (a) => {
  const v = a.need(0);
  if (!(typeof v === 'string' || Array.isArray(v) || v instanceof KDict || v instanceof SchemaInstance)) {
    throw a.typeError('str | {any:any} | [any]', v);
  }
  const items = iterate(v, a).slice();
  const reverse = a.bool(1, false);
  a.ctx.checkSize(items.length);
  // A sort compares about n log n pairs.
  a.ctx.step(items.length * Math.ceil(Math.log2(items.length + 1)));
  items.sort((x, y) => (reverse ? sortOrder(y, x, a) : sortOrder(x, y, a)));
  return items;
});

const range = builtin('range', ['start', 'stop', 'step'], (a) => {
  // The reference answers Undefined, not an error, without a start or with a None bound.
  const given = [a.get(0), a.get(1), a.get(2)];
  if (given[0] === undefined || given.some((v) => v !== undefined && isNullish(v))) return UNDEFINED;
  if (typeof a.get(0) === 'bigint' || typeof a.get(1) === 'bigint' || typeof a.get(2) === 'bigint') return exactRange(a);
  let start = a.int(0);
  let stop = a.optInt(1);
  const step = a.optInt(2) ?? 1;
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) throw a.fail('range() step argument must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  a.ctx.checkSize(count);
  a.ctx.step(count);
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
});

/** range() with a bound beyond 2^53: the same walk in exact ints. */
function exactRange(a: Args): Value {
  let start = toBigInt(a.exactInt(0));
  const stopArg = a.get(1);
  let stop = stopArg === undefined || stopArg === null || stopArg === UNDEFINED ? undefined : toBigInt(a.exactInt(1));
  const stepArg = a.get(2);
  const step = stepArg === undefined || stepArg === null || stepArg === UNDEFINED ? 1n : toBigInt(a.exactInt(2));
  if (stop === undefined) {
    stop = start;
    start = 0n;
  }
  if (step === 0n) throw a.fail('range() step argument must not be zero');
  const span = stop - start;
  const count = span === 0n || span > 0n !== step > 0n ? 0n : (span + step - (step > 0n ? 1n : -1n)) / step;
  const size = count > 1_000_000_000n ? 1_000_000_000 : Number(count);
  a.ctx.checkSize(size);
  a.ctx.step(size);
  const out: Value[] = [];
  for (let i = start; step > 0n ? i < stop : i > stop; i += step) out.push(normInt(i));
  return out;
}

function extreme(a: Args, op: '>' | '<'): Value {
  const args = a.positional;
  let items: Value[];
  if (args.length === 1) {
    const v = args[0];
    if (typeof v === 'string') {
      if (v === '') throw a.fail('arg is an empty str');
    } else if (Array.isArray(v)) {
      if (v.length === 0) throw a.fail('arg is an empty list');
    } else if (v instanceof KDict || v instanceof SchemaInstance) {
      if ((v instanceof KDict ? v.size : v.attrs.size) === 0) throw a.fail('arg is an empty dict');
    } else {
      throw a.fail(`${typeName(v)} object is not iterable`);
    }
    items = iterate(v, a);
  } else {
    items = args.slice();
  }
  a.ctx.step(items.length);
  let result = items[0];
  for (const item of items) {
    const c = compare(item, result, op, a.ctx.callSpan, a.ctx);
    if (op === '>' ? c > 0 : c < 0) result = item;
  }
  return result;
}

const max = builtin('max', [], (a) => extreme(a, '>'), true);
const min = builtin('min', [], (a) => extreme(a, '<'), true);

const sum = builtin('sum', ['iterable', 'start'], (a) => {
  const items = a.list(0);
  let result: Value = a.get(1) ?? 0;
  if (typeof result === 'string') throw a.fail("sum() can't sum strings");
  a.ctx.step(items.length);
  if (Array.isArray(result)) {
    // The list built is checked (and charged) once, before any copying.
    let total = result.length;
    for (const item of items) if (Array.isArray(item)) total += item.length;
    a.ctx.checkSize(total);
    a.ctx.step(total);
  }
  let owned = false;
  for (const item of items) {
    if (Array.isArray(result) && Array.isArray(item)) {
      // Appended in place to one fresh list: concatenating copies would be quadratic.
      if (!owned) {
        result = result.slice();
        owned = true;
      }
      for (const x of item) result.push(x);
    } else {
      result = addValues(result, item, a.ctx.callSpan);
    }
  }
  return result;
});

const pow = builtin('pow', ['x', 'y', 'z'], (a) => {
  const x = a.need(0);
  const y = a.need(1);
  const z = a.get(2);
  if (isInt(z)) {
    if (z === 0) throw a.fail('pow() 3rd argument cannot be 0');
    if (!isInt(x) || !isInt(y)) {
      throw a.fail('pow() 3rd argument not allowed unless all arguments are integers');
    }
    if (y < 0) throw a.fail('pow() 2nd argument cannot be negative when 3rd argument specified');
    let result = 1n;
    let base = BigInt(x) % BigInt(z);
    let exp = BigInt(y);
    const m = BigInt(z);
    while (exp > 0n) {
      if (exp % 2n === 1n) result = (result * base) % m;
      base = (base * base) % m;
      exp /= 2n;
    }
    return normInt(result);
  }
  if (!isNumeric(x) || !isNumeric(y)) return UNDEFINED;
  // The reference's int pow saturates at the i64 bounds (`saturating_pow`).
  if (isInt(x) && isInt(y) && y >= 0) return intPowSaturating(x, y);
  return new KFloat(Math.pow(numberOf(x), numberOf(y)));
});

const round = builtin('round', ['number', 'ndigits'], (a) => {
  const v = a.need(0);
  const nd = a.get(1);
  if (typeof nd !== 'number') {
    if (isInt(v)) return v;
    if (v instanceof KFloat) return checkedInt(roundHalfAway(v.value), a.ctx.callSpan);
    return UNDEFINED;
  }
  if (isInt(v)) return new KFloat(Number(v));
  if (!(v instanceof KFloat)) return UNDEFINED;
  const x = v.value;
  if (nd === 0) return new KFloat(roundHalfAway(x));
  // CPython's algorithm, as the reference ports it: scale, round half away, fix exact halves
  // to even, unscale.
  let y: number;
  let pow1: number;
  let pow2 = 1;
  if (nd >= 0) {
    if (nd > 22) {
      pow1 = 10 ** (nd - 22);
      pow2 = 1e22;
    } else {
      pow1 = 10 ** nd;
    }
    y = x * pow1 * pow2;
    if (!Number.isFinite(y)) return new KFloat(x);
  } else {
    pow1 = 10 ** -nd;
    y = x / pow1;
  }
  let z = roundHalfAway(y);
  if (Math.abs(y - z) === 0.5) z = 2 * roundHalfAway(y / 2);
  z = nd >= 0 ? z / pow2 / pow1 : z * pow1;
  return Number.isFinite(z) ? new KFloat(z) : UNDEFINED;
});

const zip = builtin('zip', [], (a) => {
  const lists = a.positional.map((v) => iterate(v, a));
  if (lists.length === 0) return [];
  const n = lists.reduce((m, l) => Math.min(m, l.length), Infinity);
  a.ctx.checkSize(n * (lists.length + 1));
  a.ctx.step(n * lists.length);
  const out: Value[] = [];
  for (let i = 0; i < n; i++) out.push(lists.map((l) => l[i]));
  return out;
}, true);

const int = builtin('int', ['number', 'base'], (a) => {
  const v = a.need(0);
  if (isInt(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof KFloat) return floatToInt(v.value);
  if (v instanceof KUnit) return v.toInt();
  if (typeof v === 'string') return intFromString(v, a.optInt(1) ?? 10, a);
  throw a.fail(`int() argument must be a string or a number, not '${typeName(v)}'`);
});

const float = builtin('float', ['number'], (a) => new KFloat(floatOf(a.need(0), a)));
const bool = builtin('bool', ['x'], (a) => truthy(a.get(0) ?? false));
const str = builtin('str', ['x'], (a) => {
  const v = a.get(0);
  return v === undefined ? '' : displayValue(v, a.ctx.textBudget());
});

const list = builtin('list', ['x'], (a) => {
  const v = a.get(0);
  if (v === undefined) return [];
  const items = iterate(v, a);
  a.ctx.checkSize(items.length);
  a.ctx.step(items.length);
  return items.slice();
});

const dict = builtin('dict', ['x'], (a) => {
  const out = new KDict();
  const v = a.get(0);
  const size = v instanceof KDict ? v.size : v instanceof SchemaInstance ? v.attrs.size : Array.isArray(v) ? v.length : 0;
  a.ctx.checkContainer('dict', size);
  a.ctx.step(size);
  if (v instanceof KDict) for (const [k, x] of v) out.set(k, x);
  else if (v instanceof SchemaInstance) for (const [k, x] of v.attrs) out.set(k, x);
  else if (Array.isArray(v)) {
    v.forEach((pair, i) => {
      const kv = iterate(pair, a);
      if (kv.length !== 2) {
        throw a.fail(`dictionary update sequence element #${i} has length ${kv.length}; 2 is required`);
      }
      out.set(displayValue(kv[0], a.ctx.textBudget('dict key')), kv[1]);
    });
  } else if (v !== undefined && !isNullish(v)) {
    throw a.fail(`'${typeName(v)}' object is not iterable`);
  }
  for (const [k, x] of a.call.kwargs) if (k !== 'x') out.set(k, x);
  return out;
});

const typeofFn = builtin('typeof', ['x', 'full_name'], (a) => {
  const v = a.need(0);
  if (v instanceof SchemaInstance) {
    const full = a.bool(1, false);
    const pkg = v.schema.pkgpath.replace(/^@/, '');
    return full && pkg !== '__main__' ? `${pkg}.${v.schema.name}` : v.schema.name;
  }
  if (v === null) return 'None';
  if (v instanceof KUnit) return `number_multiplier(${v.toString()})`;
  if (isSchemaType(v)) return 'type';
  return typeName(v);
});

function radixFormatter(name: string, prefix: string, radix: number): KFunction {
  return builtin(name, ['number'], (a) => {
    const n = a.exactInt(0);
    return `${n < 0 ? '-' : ''}${prefix}${(n < 0 ? -n : n).toString(radix)}`;
  });
}

const ord = builtin('ord', ['c'], (a) => {
  const s = a.str(0);
  const chars = Array.from(s);
  if (chars.length !== 1) {
    throw a.fail(`ord() expected string of length 1, but string of length ${Buffer.byteLength(s)} found`);
  }
  return chars[0].codePointAt(0)!;
});

/** Every builtin function by name. */
export const BUILTIN_FUNCTIONS: ReadonlyMap<string, KFunction> = new Map<string, KFunction>([
  ['option', optionBuiltin],
  ['print', print],
  ['len', len],
  ['abs', abs],
  ['all_true', allTrue],
  ['any_true', anyTrue],
  ['isunique', isunique],
  ['isnullish', isnullish],
  ['multiplyof', multiplyof],
  ['sorted', sorted],
  ['range', range],
  ['max', max],
  ['min', min],
  ['sum', sum],
  ['pow', pow],
  ['round', round],
  ['zip', zip],
  ['int', int],
  ['float', float],
  ['bool', bool],
  ['str', str],
  ['list', list],
  ['dict', dict],
  ['typeof', typeofFn],
  ['hex', radixFormatter('hex', '0x', 16)],
  ['oct', radixFormatter('oct', '0o', 8)],
  ['bin', radixFormatter('bin', '0b', 2)],
  ['ord', ord],
]);
