/**
 * Arithmetic, bitwise and unary operators with KCL's rules: int/float mixing, `/` always
 * float, Python semantics for `//` and `%` on negatives, str/list concatenation and repetition,
 * and `|` as union for configs. Ints are JS numbers; a result outside the safe-integer range
 * raises E3K09 (see docs/kcl-language.md for the 53-bit gap against the reference's 64).
 */
import type { BinOp, UnaryOp } from '../ast.js';
import { kclError } from '../diagnostics.js';
import type { Span } from '../span.js';
import { KDict, KFloat, KUnit, SchemaInstance, UNDEFINED, typeName, truthy, type Value } from '../value.js';
import { evalError, typeError } from './errors.js';
import type { RunState } from './state.js';
import { unionValues } from './union.js';

export function checkInt(n: number, span: Span | undefined): number {
  if (!Number.isSafeInteger(n)) {
    throw kclError('E3K09', `${Number.isFinite(n) ? BigInt(Math.trunc(n)) : n}: A 64 bit integer overflow`, span);
  }
  return n;
}

/** The float value of an int, float or unit number; undefined for anything else. */
/** Number-multiplier values (`1Gi`) take no operators, as in the reference: int() first. */
function numOf(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof KFloat) return v.value;
  return undefined;
}

function isIntLike(v: Value): boolean {
  return typeof v === 'number';
}

function unsupported(op: string, a: Value, b: Value, span: Span | undefined): never {
  throw typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`, span);
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

function repeat<T>(items: T[], times: number, st: RunState, span: Span | undefined): T[] {
  const n = Math.max(0, times);
  st.checkSize(items.length * n, span);
  st.step(n);
  const out: T[] = [];
  for (let i = 0; i < n; i++) for (const x of items) out.push(x);
  return out;
}

function repeatStr(s: string, times: number, st: RunState, span: Span | undefined): string {
  const n = Math.max(0, times);
  st.checkSize(s.length * n, span);
  return s.repeat(n);
}

function bigIntOp(op: BinOp, a: number, b: number, span: Span | undefined): number {
  const x = BigInt(a);
  const y = BigInt(b);
  let r: bigint;
  switch (op) {
    case '<<':
      if (b < 0) throw evalError('negative shift count', span);
      r = x << y;
      break;
    case '>>':
      if (b < 0) throw evalError('negative shift count', span);
      r = x >> y;
      break;
    case '&':
      r = x & y;
      break;
    case '|':
      r = x | y;
      break;
    default:
      r = x ^ y;
  }
  return checkInt(Number(r), span);
}

export function binaryOp(op: BinOp, a: Value, b: Value, st: RunState, span: Span | undefined): Value {
  switch (op) {
    case '+':
      if (typeof a === 'number' && typeof b === 'number') return checkInt(a + b, span);
      if (typeof a === 'string' && typeof b === 'string') {
        st.checkSize(a.length + b.length, span);
        return a + b;
      }
      if (Array.isArray(a) && Array.isArray(b)) {
        st.checkSize(a.length + b.length, span);
        return a.concat(b);
      }
      return arith(op, a, b, span);
    case '-':
      if (typeof a === 'number' && typeof b === 'number') return checkInt(a - b, span);
      return arith(op, a, b, span);
    case '*':
      if (typeof a === 'number' && typeof b === 'number') return checkInt(a * b, span);
      if (typeof a === 'string' && typeof b === 'number') return repeatStr(a, b, st, span);
      if (typeof a === 'number' && typeof b === 'string') return repeatStr(b, a, st, span);
      if (Array.isArray(a) && typeof b === 'number') return repeat(a, b, st, span);
      if (typeof a === 'number' && Array.isArray(b)) return repeat(b, a, st, span);
      return arith(op, a, b, span);
    case '/':
    case '//':
    case '%':
    case '**':
      return arith(op, a, b, span);
    case '|':
      if (typeof a === 'number' && typeof b === 'number') return bigIntOp(op, a, b, span);
      if (isUnionable(a) && isUnionable(b)) return unionValues(a, b, st, span, true);
      return unsupported(op, a, b, span);
    case '<<':
    case '>>':
    case '&':
    case '^':
      if (isIntLike(a) && isIntLike(b)) return bigIntOp(op, numOf(a)!, numOf(b)!, span);
      return unsupported(op, a, b, span);
    case 'and':
      return truthy(a) ? b : a;
    case 'or':
      return truthy(a) ? a : b;
    case 'as':
      throw evalError('`as` is planned separately', span);
  }
}

function isUnionable(v: Value): boolean {
  return v === null || v === UNDEFINED || Array.isArray(v) || v instanceof KDict || v instanceof SchemaInstance;
}

function arith(op: BinOp, a: Value, b: Value, span: Span | undefined): Value {
  const x = numOf(a);
  const y = numOf(b);
  if (x === undefined || y === undefined) return unsupported(op, a, b, span);
  const ints = isIntLike(a) && isIntLike(b);
  switch (op) {
    case '+':
      return ints ? checkInt(x + y, span) : new KFloat(x + y);
    case '-':
      return ints ? checkInt(x - y, span) : new KFloat(x - y);
    case '*':
      return ints ? checkInt(x * y, span) : new KFloat(x * y);
    case '/':
      // True division by zero gives ±inf (or NaN), as the reference's f64 division does.
      return new KFloat(x / y);
    case '//':
      if (y === 0) throw evalError(ints ? 'integer division or modulo by zero' : 'float floor division by zero', span);
      return ints ? checkInt(floorDiv(x, y), span) : new KFloat(floorDiv(x, y));
    case '%':
      if (y === 0) throw evalError(ints ? 'integer division or modulo by zero' : 'float modulo', span);
      // Ints follow Python (sign of the divisor), floats the reference's fmod (sign of the dividend).
      return ints ? pyMod(x, y) : new KFloat(x % y);
    case '**':
      if (ints) {
        // The reference computes in i64 and reports a negative exponent as an overflow.
        if (y < 0) throw kclError('E3K09', `${Math.trunc(x ** y)}: A 64 bit integer overflow`, span);
        return checkInt(x ** y, span);
      }
      return new KFloat(x ** y);
    default:
      return unsupported(op, a, b, span);
  }
}

export function unaryOp(op: UnaryOp, v: Value, span: Span | undefined): Value {
  switch (op) {
    case 'not':
      return !truthy(v);
    case '-':
      if (typeof v === 'number') return v === 0 ? 0 : -v;
      // The reference prints -0.0 written in the source as 0.0.
      if (v instanceof KFloat) return new KFloat(v.value === 0 ? 0 : -v.value);
      if (v instanceof KUnit) return -v.toNumber();
      break;
    case '+':
      if (typeof v === 'number' || v instanceof KFloat) return v;
      if (v instanceof KUnit) return v.toNumber();
      break;
    case '~':
      if (typeof v === 'number') return checkInt(-v - 1, span);
      break;
  }
  throw typeError(`bad operand type for unary ${op}: '${typeName(v)}'`, span);
}
