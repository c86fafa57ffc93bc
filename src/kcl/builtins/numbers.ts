/**
 * Numeric helpers the builtins share: int overflow checks, Rust-style rounding and parsing,
 * `+` for sum(), and exact decimal expansion of floats (for the format-spec mini language,
 * which must round like Rust's `format!`: exact value, ties to even).
 */
import { kclError } from '../diagnostics.js';
import { displayForMessage } from '../display.js';
import { I64_MAX, checkedInt as checkedI64, floatToInt, intAdd, isInt, wrapInt, type Int } from '../int64.js';
import type { Span } from '../span.js';
import { parseUnitString, unitMultiplier } from '../units-core.js';
import { KDict, KFloat, KUnit, typeName, type Value } from '../value.js';
import type { Args } from './args.js';

/** A float result the reference turns into an int with `as i64`: truncated, saturating. */
export function checkedInt(n: number, _span?: Span | undefined): Int {
  return floatToInt(n);
}

/** Rust's f64::round: halves away from zero. */
export function roundHalfAway(x: number): number {
  const t = Math.trunc(x);
  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;
}

export function isNumeric(v: Value): v is number | bigint | KFloat {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof KFloat;
}

export function numberOf(v: number | bigint | KFloat): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v.value;
}

/** `a + b` as sum() needs it: numbers, strings, lists; anything else is the reference's error. */
export function addValues(a: Value, b: Value, span: Span | undefined): Value {
  if (isInt(a) && isInt(b)) return intAdd(a, b, span);
  if (isNumeric(a) && isNumeric(b)) return new KFloat(numberOf(a) + numberOf(b));
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  throw kclError('E3M38', `unsupported operand type(s) for +: '${typeName(a)}' and '${typeName(b)}'`, span);
}

/** Rust's `str::parse::<f64>`: no blanks or underscores; inf/nan words accepted. */
export function parseRustFloat(text: string): number | undefined {
  if (/^[+-]?(inf|infinity|nan)$/i.test(text)) {
    const neg = text.startsWith('-');
    if (/nan/i.test(text)) return NaN;
    return neg ? -Infinity : Infinity;
  }
  // `\d+(\.\d*)?`, not `\d+\.?\d*`: the latter splits a run of digits between its two
  // quantifiers in every way before failing on what follows (quadratic in the run).
  if (!/^[+-]?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * The exact decimal expansion of |x| (finite): integer digits and fraction digits. Every
 * double is a finite binary fraction, so this is exact (m * 5^k / 10^k).
 */
export function exactDecimal(x: number): { int: string; frac: string } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074;
  } else {
    mantissa |= 1n << 52n;
    exp = biased - 1075;
  }
  if (mantissa === 0n) return { int: '0', frac: '' };
  if (exp >= 0) return { int: (mantissa << BigInt(exp)).toString(), frac: '' };
  const scale = -exp;
  const digits = (mantissa * 5n ** BigInt(scale)).toString().padStart(scale + 1, '0');
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  return { int: digits.slice(0, digits.length - scale), frac };
}

/** Adds one to a string of decimal digits ("199" -> "200", "99" -> "100"). */
function incrementDigits(d: string): string {
  const chars = d.split('');
  let i = chars.length - 1;
  while (i >= 0) {
    if (chars[i] === '9') {
      chars[i] = '0';
      i--;
    } else {
      chars[i] = String.fromCharCode(chars[i].charCodeAt(0) + 1);
      return chars.join('');
    }
  }
  return '1' + chars.join('');
}

/**
 * Rounds a digit string to its first `keep` digits, ties to even; the result may be one digit
 * longer when rounding carries out ("99" -> "100").
 */
function roundDigits(digits: string, keep: number): string {
  if (digits.length <= keep) return digits.padEnd(keep, '0');
  const kept = digits.slice(0, keep);
  const rest = digits.slice(keep);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  const lastKept = keep > 0 ? kept.charCodeAt(keep - 1) - 48 : 0;
  const up = first > 5 || (first === 5 && (tail || lastKept % 2 === 1));
  if (!up) return kept;
  return incrementDigits(kept === '' ? '0' : kept);
}

/** Rust's `format!("{:.N}", |x|)`: fixed notation, exact value rounded ties-to-even. */
export function toFixedExact(x: number, precision: number): string {
  const { int, frac } = exactDecimal(x);
  const all = int + frac;
  let digits = roundDigits(all, int.length + precision);
  let intLen = int.length;
  if (digits.length > int.length + precision) intLen += digits.length - (int.length + precision);
  if (digits === '') digits = '0';
  const intPart = digits.slice(0, intLen).replace(/^0+(?=\d)/, '') || '0';
  const fracPart = digits.slice(intLen);
  return precision > 0 ? `${intPart}.${fracPart}` : intPart;
}

/**
 * Rust's `format!("{:.Ne}", |x|)`: one digit, a point and N digits, then `e` and the decimal
 * exponent (no sign for positive, no padding), exact value rounded ties-to-even.
 */
export function toExponentialExact(x: number, precision: number): { mantissa: string; exponent: number } {
  if (x === 0) return { mantissa: precision > 0 ? `0.${'0'.repeat(precision)}` : '0', exponent: 0 };
  const { int, frac } = exactDecimal(x);
  const all = (int + frac).replace(/^0+/, '');
  const leadingFracZeros = int === '0' ? frac.length - frac.replace(/^0+/, '').length : 0;
  let exponent = int === '0' ? -(leadingFracZeros + 1) : int.length - 1;
  let digits = roundDigits(all, precision + 1);
  if (digits.length > precision + 1) {
    digits = digits.slice(0, precision + 1);
    exponent += 1;
  }
  const mantissa = precision > 0 ? `${digits[0]}.${digits.slice(1)}` : digits[0];
  return { mantissa, exponent };
}

/** Copy of a dict's entries (dict() of a dict). */
export function copyDict(d: KDict): KDict {
  return new KDict(new Map(d.entries));
}

const RADIX_PREFIX: Record<number, RegExp> = { 16: /^0x/i, 8: /^0o/i, 2: /^0b/i };

/**
 * The decimal digits' value modulo 2^64, which is all a wrapping i64 result keeps: read in
 * chunks, so a million digits never become a million-digit BigInt.
 */
function decimalModulo64(digits: string): bigint {
  if (digits.length <= 40) return BigInt(digits);
  let n = 0n;
  for (let i = 0; i < digits.length; i += 15) {
    const chunk = digits.slice(i, i + 15);
    n = BigInt.asUintN(64, n * 10n ** BigInt(chunk.length) + BigInt(chunk));
  }
  return n;
}

export function intFromString(text: string, base: number, a: Args): Int {
  const invalid = () => a.fail(`invalid literal for int() with base ${base}: '${displayForMessage(text)}'`);
  if (base < 2 || base > 36) throw a.fail(`int() base must be >= 2 and <= 36, got ${base}`);
  const quantity = base === 10 ? parseUnitString(text) : undefined;
  if (quantity !== undefined) {
    // The reference multiplies in i64 with wrapping, by the multiplier cast to an int
    // (so `int("1500m")` is 0 and `int("8388608Ti")` is -2^63).
    const whole = /^(\d+)([a-zA-Z]{1,2})$/.exec(text);
    if (whole) return wrapInt(decimalModulo64(whole[1]!) * BigInt(Math.trunc(unitMultiplier(whole[2]!)!)));
    return checkedInt(Math.trunc(quantity), a.ctx.callSpan);
  }
  let sign = 1;
  let body = text;
  if (body.startsWith('-') || body.startsWith('+')) {
    sign = body.startsWith('-') ? -1 : 1;
    body = body.slice(1);
  }
  const prefix = RADIX_PREFIX[base];
  if (prefix) body = body.replace(prefix, '');
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  if (body === '' || ![...body.toLowerCase()].every((c) => digits.includes(c))) throw invalid();
  let n = 0n;
  for (const c of body.toLowerCase()) {
    n = n * BigInt(base) + BigInt(digits.indexOf(c));
    // Past the i64 range the result is an error anyway: stop before the number grows without
    // bound (a million digits would take quadratic BigInt time).
    if (n > I64_MAX + 1n) break;
  }
  // The reference parses into i64 and fails beyond it.
  return checkedI64(sign < 0 ? -n : n, a.ctx.callSpan);
}

export function floatOf(v: Value, a: Args): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof KFloat) return v.value;
  if (v instanceof KUnit) return v.value * v.multiplier;
  if (typeof v === 'string') {
    const f = parseRustFloat(v);
    if (f === undefined) throw a.fail(`invalid literal for float() with base 10: '${displayForMessage(v)}'`);
    if (!Number.isFinite(f) && !Number.isNaN(f)) {
      throw a.error('E3K04', 'inf: A 64-bit floating point number overflow');
    }
    return f;
  }
  throw a.fail(`invalid literal for float() with base 10: '${displayForMessage(v)}'`);
}

