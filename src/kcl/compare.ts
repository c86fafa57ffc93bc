/**
 * Equality, ordering and membership of KCL values, as the reference (kcl-lib 0.13.2) decides
 * them at run time:
 *   - int and float compare by value (`1 == 1.0`); bool never equals an int (`True == 1` is
 *     False) but orders like one (`True < 2`);
 *   - dicts are equal regardless of key order; a schema instance equals only an instance of the
 *     same schema with equal attributes, never a dict;
 *   - unit numbers (`1Mi`) are equal to nothing, not even another `1Mi`, and do not order;
 *   - any two functions are equal;
 *   - `<` orders numbers, strings (by code point) and lists (element-wise); anything else is an
 *     EvaluationError "'<' not supported between instances of 'A' and 'B'".
 * Inside a run every element compared is a step charged to the `meter` (the run), so comparing
 * huge or deeply shared values ends with K9001/K9003 instead of stalling.
 */
import type { Span } from './span.js';
import { chargeWholeString, NO_METER, stepsForBytes, type Meter } from './budget.js';
import { kclError } from './diagnostics.js';
import { intToFloat } from './int64.js';
import { KDict, KFloat, KFunction, KUnit, SchemaInstance, UNDEFINED, typeName, type Value } from './value.js';

function numericValue(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof KFloat) return v.value;
  if (typeof v === 'bigint') return intToFloat(v);
  return undefined;
}

export function equals(a: Value, b: Value, meter: Meter = NO_METER): boolean {
  if (a === b) {
    if (typeof a === 'string') chargeWholeString(meter, a.length);
    return !(a instanceof KUnit);
  }
  if (typeof a === 'string' || typeof b === 'string') {
    if (typeof a === 'string' && typeof b === 'string' && a.length === b.length) chargeWholeString(meter, a.length);
    return false;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return false;
  // Two ints compare exactly; an int against a float goes through f64, as in the reference.
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (typeof a !== 'object' && typeof b !== 'object') return a === b;
  }
  const na = numericValue(a);
  if (na !== undefined) {
    const nb = numericValue(b);
    return nb !== undefined && na === nb;
  }
  if (a === null || b === null || a === UNDEFINED || b === UNDEFINED) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      meter.step();
      if (!equals(a[i], b[i], meter)) return false;
    }
    return true;
  }
  if (a instanceof KDict) return b instanceof KDict && entriesEqual(a.entries, b.entries, meter);
  if (a instanceof SchemaInstance) {
    return (
      b instanceof SchemaInstance &&
      a.schema.name === b.schema.name &&
      a.schema.pkgpath === b.schema.pkgpath &&
      entriesEqual(a.attrs, b.attrs, meter)
    );
  }
  if (a instanceof KFunction) return b instanceof KFunction;
  return false;
}

function entriesEqual(a: Map<string, Value>, b: Map<string, Value>, meter: Meter): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    meter.step();
    const other = b.get(k);
    if (other === undefined || !equals(v, other, meter)) return false;
  }
  return true;
}

/** The type name the reference uses in ordering/membership errors. */
function operandTypeName(v: Value): string {
  return v instanceof KUnit ? `number_multiplier(${v.toString()})` : typeName(v);
}

function orderingNumber(v: Value): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return numericValue(v);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Whether `s` holds a UTF-16 surrogate: without one, each code unit is a code point. */
export function hasSurrogate(s: string): boolean {
  return SURROGATE.test(s);
}

/** Code-point order, as Rust compares strings (JS `<` compares UTF-16 units). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // Without surrogates every unit is a code point, and JS's own comparison is the order.
  if (!hasSurrogate(a) && !hasSurrogate(b)) return a < b ? -1 : 1;
  return compareCodePoints(a, b);
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/**
 * Three-way comparison for `<`, `<=`, `>`, `>=` (and sorted/max/min): negative, zero or positive.
 * `op` only shapes the error message.
 */
export function compare(a: Value, b: Value, op = '<', span?: Span, meter: Meter = NO_METER): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const na = orderingNumber(a);
  const nb = orderingNumber(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') {
    meter.step(stepsForBytes(Math.min(a.length, b.length)));
    return compareStrings(a, b);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      meter.step();
      if (equals(a[i], b[i], meter)) continue;
      return compare(a[i], b[i], op, span, meter);
    }
    return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
  }
  throw kclError(
    'E3M38',
    `'${op}' not supported between instances of '${operandTypeName(a)}' and '${operandTypeName(b)}'`,
    span,
  );
}

/** `item in container`. Strings: substring; lists: an equal element; dicts/schemas: a key. */
export function contains(container: Value, item: Value, span?: Span, meter: Meter = NO_METER): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') return false;
    meter.step(stepsForBytes(container.length));
    return container.includes(item);
  }
  if (Array.isArray(container)) {
    return container.some((x) => {
      meter.step();
      return equals(x, item, meter);
    });
  }
  if (typeof item === 'string') chargeWholeString(meter, item.length);
  if (container instanceof KDict) return typeof item === 'string' && container.has(item);
  if (container instanceof SchemaInstance) return typeof item === 'string' && container.attrs.has(item);
  throw kclError(
    'E3M38',
    `TypeError: argument of type '${operandTypeName(container)}' is not iterable`,
    span,
  );
}
