/**
 * KCL ints have the reference's i64 semantics (kcl-lib 0.13.2), held in a hybrid form so the
 * common case costs nothing: an int is a JS `number` while it is a safe integer
 * (|n| <= 2^53 - 1) and a `bigint` only beyond that. Every helper returns the normal form
 * (`normInt`), so a value never exists as two representations: `===` between two ints is exact
 * (a safe number never equals a bigint), and `<` between a number and a bigint is exact in JS.
 *
 * Each operation tries number x number first and falls back to BigInt only when a result is
 * not a safe integer. The reference's rules at the i64 edges, pinned by `test/conformance/values/int64-*`:
 *   - `+ - *`, `**` and sum() are checked: a result outside i64 is E3K09 IntOverflow;
 *   - `**` takes an exponent in 0..2^32-1 (Rust's `checked_pow(u32)`); anything else overflows;
 *   - `<<` / `>>` by 64 or more (or by a negative count) overflow; otherwise `<<` wraps;
 *   - unary `-` and abs() wrap (`-(-2^63)` is -2^63); `//` and `%` of -2^63 by -1 overflow;
 *   - literals are read as u64 and wrapped (`0xFFFFFFFFFFFFFFFF` is -1);
 *   - float -> int conversions (int(), round(), math.ceil/floor) saturate at the i64 bounds;
 *   - mixed int/float arithmetic and comparison convert the int to f64.
 */
import { kclError } from './diagnostics.js';
import type { Span } from './span.js';

export type Int = number | bigint;

export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

export function isInt(v: unknown): v is Int {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** The canonical form: a number when it is a safe integer, else the bigint. */
export function normInt(b: bigint): Int {
  return b >= MIN_SAFE && b <= MAX_SAFE ? Number(b) : b;
}

export function toBigInt(n: Int): bigint {
  return typeof n === 'bigint' ? n : BigInt(n);
}

/** The f64 the reference converts an int to in mixed arithmetic and comparisons. */
export function intToFloat(n: Int): number {
  return typeof n === 'number' ? n : Number(n);
}

export function overflowError(exact: bigint | string, span: Span | undefined): Error {
  return kclError('E3K09', `${exact}: A 64 bit integer overflow`, span);
}

/** An exact result, range-checked against i64 as the reference's checked arithmetic does. */
export function checkedInt(b: bigint, span: Span | undefined): Int {
  if (b < I64_MIN || b > I64_MAX) throw overflowError(b, span);
  return normInt(b);
}

/** Two's-complement wrap into i64 (Rust's `wrapping_*` and `as i64`). */
export function wrapInt(b: bigint): Int {
  return normInt(BigInt.asIntN(64, b));
}

export function intAdd(a: Int, b: Int, span: Span | undefined): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return checkedInt(toBigInt(a) + toBigInt(b), span);
}

export function intSub(a: Int, b: Int, span: Span | undefined): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r;
  }
  return checkedInt(toBigInt(a) - toBigInt(b), span);
}

export function intMul(a: Int, b: Int, span: Span | undefined): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    // A rounded product is never a safe integer unless it is exact.
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
  }
  return checkedInt(toBigInt(a) * toBigInt(b), span);
}

/** `//` with Python's flooring; the caller has rejected a zero divisor. */
export function intFloorDiv(a: Int, b: Int, span: Span | undefined): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    // `a % b` is exact for doubles, so `(a - r) / b` is an exact integer quotient.
    const r = a % b;
    const q = (a - r) / b;
    return (r !== 0 && r < 0 !== b < 0 ? q - 1 : q) + 0;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x === I64_MIN && y === -1n) throw kclError('E3K09', 'attempt to divide with overflow', span);
  const q = x / y;
  return normInt(x % y !== 0n && x < 0n !== y < 0n ? q - 1n : q);
}

/** `%` with the sign of the divisor (Python); the caller has rejected a zero divisor. */
export function intMod(a: Int, b: Int, span: Span | undefined): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a % b;
    return (r !== 0 && r < 0 !== b < 0 ? r + b : r) + 0;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x === I64_MIN && y === -1n) throw kclError('E3K09', 'attempt to calculate the remainder with overflow', span);
  const r = x % y;
  return normInt(r !== 0n && r < 0n !== y < 0n ? r + y : r);
}

const U32_MAX = 0xffffffff;

/** `int ** int`: Rust's `checked_pow`, whose exponent is a u32. */
export function intPow(a: Int, b: Int, span: Span | undefined): Int {
  if (typeof a === 'number' && typeof b === 'number' && b >= 0 && b <= U32_MAX) {
    const r = a ** b;
    if (Number.isSafeInteger(r)) return r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (y < 0n) {
    // The reference raises the base to the exponent cast to u32: for 0, 1 and -1 that is a
    // value (`1 ** -2` is 1, `0 ** -2` is 0, `(-1) ** -3` is -1); any other base overflows.
    const e = BigInt.asUintN(32, y);
    if (x === 0n) return e === 0n ? 1 : 0;
    if (x === 1n) return 1;
    if (x === -1n) return e % 2n === 0n ? 1 : -1;
    throw overflowError(String(Math.trunc(intToFloat(a) ** intToFloat(b))), span);
  }
  if (y > U32_MAX) throw overflowError(x, span);
  // |x| >= 2 overflows long before the exponent gets large; never build a huge BigInt.
  if ((x > 1n || x < -1n) && y >= 64n) throw overflowError(y < 256n ? x ** y : `${x} ** ${y}`, span);
  return checkedInt(x ** y, span);
}

/** `pow(x, y)` builtin: the reference saturates (`saturating_pow`) instead of failing. */
export function intPowSaturating(a: Int, b: Int): Int {
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x === 0n || x === 1n) return y === 0n ? 1 : Number(x);
  if (x === -1n) return y % 2n === 0n ? 1 : -1;
  const negative = x < 0n && y % 2n === 1n;
  if (y >= 64n) return negative ? I64_MIN : I64_MAX;
  const r = x ** y;
  if (r > I64_MAX) return I64_MAX;
  if (r < I64_MIN) return I64_MIN;
  return normInt(r);
}

/** `math.pow(int, int)`: the reference wraps. */
export function intPowWrapping(a: Int, b: Int): Int {
  let base = BigInt.asIntN(64, toBigInt(a));
  let e = toBigInt(b);
  let r = 1n;
  while (e > 0n) {
    if (e & 1n) r = BigInt.asIntN(64, r * base);
    base = BigInt.asIntN(64, base * base);
    e >>= 1n;
  }
  return normInt(r);
}

export function intShl(a: Int, b: Int, span: Span | undefined): Int {
  if (typeof a === 'number' && typeof b === 'number' && b >= 0 && b < 64) {
    const r = a * 2 ** b;
    if (Number.isSafeInteger(r)) return r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (y < 0n || y >= 64n) throw overflowError(y < 0n ? x << (128n + y) : x << y, span);
  return wrapInt(x << y);
}

export function intShr(a: Int, b: Int, span: Span | undefined): Int {
  if (typeof a === 'number' && typeof b === 'number' && b >= 0 && b < 64) return Math.floor(a / 2 ** b) + 0;
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (y < 0n || y >= 64n) throw overflowError(y < 0n ? 0n : x >> y, span);
  return normInt(x >> y);
}

export function intBitwise(op: '&' | '|' | '^', a: Int, b: Int): Int {
  if (typeof a === 'number' && typeof b === 'number' && (a | 0) === a && (b | 0) === b) {
    return op === '&' ? a & b : op === '|' ? a | b : a ^ b;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  return normInt(op === '&' ? x & y : op === '|' ? x | y : x ^ y);
}

/** Unary `-`: wrapping, so -(-2^63) is -2^63 as in the reference. */
export function intNeg(a: Int): Int {
  if (typeof a === 'number') return a === 0 ? 0 : -a;
  return wrapInt(-a);
}

export function intInvert(a: Int): Int {
  if (typeof a === 'number') {
    const r = -a - 1;
    if (Number.isSafeInteger(r)) return r;
  }
  return normInt(-toBigInt(a) - 1n);
}

/** abs(): wrapping like Rust's `i64::abs` in release builds (abs(-2^63) is -2^63). */
export function intAbs(a: Int): Int {
  if (typeof a === 'number') return Math.abs(a);
  return wrapInt(a < 0n ? -a : a);
}

export function intCompare(a: Int, b: Int): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rust's `f64 as i64`: truncates, saturates at the bounds, NaN is 0. */
export function floatToInt(x: number): Int {
  if (Number.isNaN(x)) return 0;
  const t = Math.trunc(x);
  if (Number.isSafeInteger(t)) return t + 0;
  if (t >= 9223372036854775807) return I64_MAX;
  if (t <= -9223372036854775808) return I64_MIN;
  return normInt(BigInt(t));
}

/**
 * The exact value of an int literal's source text (`9223372036854775807`, `0xFFFF_FFFF`, `017`)
 * as the reference reads it: a u64, wrapped into i64 (`0xFFFFFFFFFFFFFFFF` is -1). Undefined
 * when it does not fit in u64, which the reference rejects as a syntax error.
 */
export function parseIntLiteral(raw: string): Int | undefined {
  const text = raw.replace(/_/g, '');
  const prefixed = /^0([xXoObB])([0-9a-fA-F]+)/.exec(text);
  let b: bigint;
  if (prefixed) b = BigInt(`0${prefixed[1]!.toLowerCase()}${prefixed[2]}`);
  else if (/^0[0-7]+$/.test(text)) b = BigInt(`0o${text.slice(1)}`);
  else b = BigInt(/^\d+/.exec(text)?.[0] ?? '0');
  if (b > U64_MAX) return undefined;
  return wrapInt(b);
}

/** `int("...")` of a decimal string: Rust's `i64::from_str`; undefined when out of range. */
export function parseDecimalI64(text: string): Int | undefined {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n + 0;
  const b = BigInt(text);
  return b < I64_MIN || b > I64_MAX ? undefined : normInt(b);
}
