/**
 * Arithmetic, bitwise and unary operators with KCL's rules: int/float mixing, `/` always
 * float, Python semantics for `//` and `%` on negatives, str/list concatenation and repetition,
 * and `|` as union for configs. Ints follow the reference's i64 rules through `../int64.ts`:
 * number x number stays on a fast path, anything wider is computed exactly in BigInt.
 */
import type { BinOp, UnaryOp } from '../ast.js';
import type { Span } from '../span.js';
import {
  intAdd, intBitwise, intFloorDiv, intInvert, intMod, intMul, intNeg, intPow, intShl, intShr, intSub, intToFloat, isInt,
  type Int,
} from '../int64.js';
import { KDict, KFloat, KUnit, SchemaInstance, UNDEFINED, typeName, truthy, type Value } from '../value.js';
import { evalError, typeError } from './errors.js';
import type { RunState } from './state.js';
import { unionValues } from './union.js';

/** The float value of an int, float or unit number; undefined for anything else. */
/** Number-multiplier values (`1Gi`) take no operators, as in the reference: int() first. */
function numOf(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof KFloat) return v.value;
  if (typeof v === 'bigint') return intToFloat(v);
  return undefined;
}

function unsupported(op: string, a: Value, b: Value, span: Span | undefined): never {
  throw typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`, span);
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** A repeat count; a bigint count is beyond any size limit (or below zero). */
function repeatCount(times: Int): number {
  return typeof times === 'number' ? Math.max(0, times) : times > 0n ? Number.MAX_SAFE_INTEGER : 0;
}

function repeat<T>(items: T[], times: Int, st: RunState, span: Span | undefined): T[] {
  const n = repeatCount(times);
  if (items.length === 0) return [];
  st.checkSize(items.length * n, span);
  st.step(items.length * n);
  const out: T[] = [];
  for (let i = 0; i < n; i++) for (const x of items) out.push(x);
  return out;
}

function repeatStr(s: string, times: Int, st: RunState, span: Span | undefined): string {
  const n = repeatCount(times);
  st.checkBytes(s.length * n, span);
  return s.repeat(n);
}

function bitOp(op: BinOp, a: Int, b: Int, span: Span | undefined): Int {
  switch (op) {
    case '<<':
      return intShl(a, b, span);
    case '>>':
      return intShr(a, b, span);
    case '&':
    case '|':
    case '^':
      return intBitwise(op, a, b);
    default:
      throw evalError(`unsupported bit operator ${op}`, span);
  }
}

export function binaryOp(op: BinOp, a: Value, b: Value, st: RunState, span: Span | undefined): Value {
  switch (op) {
    case '+':
      if (typeof a === 'number' && typeof b === 'number') {
        const r = a + b;
        if (Number.isSafeInteger(r)) return r;
      }
      if (typeof a === 'string' && typeof b === 'string') {
        st.checkBytes(a.length + b.length, span);
        return a + b;
      }
      if (Array.isArray(a) && Array.isArray(b)) {
        st.checkSize(a.length + b.length, span);
        st.step(a.length + b.length);
        return a.concat(b);
      }
      return arith(op, a, b, span);
    case '-':
      if (typeof a === 'number' && typeof b === 'number') {
        const r = a - b;
        if (Number.isSafeInteger(r)) return r;
      }
      return arith(op, a, b, span);
    case '*':
      if (typeof a === 'number' && typeof b === 'number') {
        const r = a * b;
        if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
      }
      if (typeof a === 'string' && isInt(b)) return repeatStr(a, b, st, span);
      if (isInt(a) && typeof b === 'string') return repeatStr(b, a, st, span);
      if (Array.isArray(a) && isInt(b)) return repeat(a, b, st, span);
      if (isInt(a) && Array.isArray(b)) return repeat(b, a, st, span);
      return arith(op, a, b, span);
    case '/':
    case '//':
    case '%':
    case '**':
      return arith(op, a, b, span);
    case '|':
      if (isInt(a) && isInt(b)) return intBitwise(op, a, b);
      // None (or Undefined) on either side gives the other operand, whatever its type.
      if (a === null || a === UNDEFINED) return b;
      if (b === null || b === UNDEFINED) return a;
      if (isUnionable(a) && isUnionable(b)) return unionValues(a, b, st, span, true);
      return unsupported(op, a, b, span);
    case '<<':
    case '>>':
    case '&':
    case '^':
      if (isInt(a) && isInt(b)) return bitOp(op, a, b, span);
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
  if (isInt(a) && isInt(b)) return intArith(op, a, b, span);
  const x = numOf(a);
  const y = numOf(b);
  if (x === undefined || y === undefined) return unsupported(op, a, b, span);
  switch (op) {
    case '+':
      return new KFloat(x + y);
    case '-':
      return new KFloat(x - y);
    case '*':
      return new KFloat(x * y);
    case '/':
      // True division by zero gives ±inf (or NaN), as the reference's f64 division does.
      return new KFloat(x / y);
    case '//':
      if (y === 0) throw evalError('float floor division by zero', span);
      return new KFloat(floorDiv(x, y));
    case '%':
      if (y === 0) throw evalError('float modulo', span);
      // Floats follow the reference's fmod (sign of the dividend); ints Python's (see int64.ts).
      return new KFloat(x % y);
    case '**':
      return new KFloat(x ** y);
    default:
      return unsupported(op, a, b, span);
  }
}

function intArith(op: BinOp, a: Int, b: Int, span: Span | undefined): Value {
  switch (op) {
    case '+':
      return intAdd(a, b, span);
    case '-':
      return intSub(a, b, span);
    case '*':
      return intMul(a, b, span);
    case '/':
      // True division by zero gives ±inf (or NaN), as the reference's f64 division does.
      return new KFloat(intToFloat(a) / intToFloat(b));
    case '//':
      if (b === 0) throw evalError('integer division or modulo by zero', span);
      return intFloorDiv(a, b, span);
    case '%':
      if (b === 0) throw evalError('integer division or modulo by zero', span);
      return intMod(a, b, span);
    case '**':
      // The reference computes in i64 and reports a negative exponent as an overflow.
      return intPow(a, b, span);
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
      if (typeof v === 'bigint') return intNeg(v);
      // The reference prints -0.0 written in the source as 0.0.
      if (v instanceof KFloat) return new KFloat(v.value === 0 ? 0 : -v.value);
      if (v instanceof KUnit) return intNeg(v.toInt());
      break;
    case '+':
      if (isInt(v) || v instanceof KFloat) return v;
      if (v instanceof KUnit) return v.toInt();
      break;
    case '~':
      if (isInt(v)) return intInvert(v);
      // The reference inverts a bool to -1, whichever it is.
      if (typeof v === 'boolean') return -1;
      break;
  }
  throw typeError(`bad operand type for unary ${op}: '${typeName(v)}'`, span);
}
