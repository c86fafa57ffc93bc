/**
 * The operator tables of the reference's checker (resolver/calculation.rs): which operand types
 * each binary, unary and comparison operator accepts, and the type of the result. Operands of
 * type `any` are never refused; everything else not in a table is a TypeError (E2G22).
 */
import type * as ast from '../ast.js';
import type { Span } from '../span.js';
import type { Checker } from './checker.js';
import { allOfKinds, isUpperBound, sup, toVariableType, widenUnion } from './relations.js';
import {
  ANY,
  BOOL,
  FLOAT,
  INT,
  STR,
  dictOf,
  isAny,
  isBool,
  isDict,
  isDictOrSchema,
  isFloat,
  isInt,
  isIterable,
  isList,
  isNone,
  isNumber,
  isSchema,
  isStr,
  listItem,
  listOf,
  tyStr,
  type Type,
} from './types.js';

const isZeroLiteral = (t: Type): boolean => (t.k === 'intLit' || t.k === 'floatLit') && t.v === 0;

const numberResult = (l: Type, r: Type): Type => (isFloat(l) || isFloat(r) ? FLOAT : INT);

/** `int | float | bool` (or a union of them): what `*` repeats and what orders numerically. */
const isNumberLike = (t: Type): boolean => isInt(t) || isFloat(t) || isBool(t);

export function binaryType(c: Checker, left: Type, right: Type, op: ast.BinOp, span: Span): Type {
  const l = widenUnion(left);
  const r = widenUnion(right);
  if (isAny(l) || isAny(r)) return ANY;
  let result: Type | undefined;
  switch (op) {
    case '+':
      if (isNumber(l) && isNumber(r)) result = numberResult(l, r);
      else if (isStr(l) && isStr(r)) result = STR;
      else if (isList(l) && isList(r)) result = listOf(sup([listItem(l), listItem(r)]));
      break;
    case '-':
    case '**':
      if (isNumber(l) && isNumber(r)) result = numberResult(l, r);
      break;
    case '*':
      if (isNumber(l) && isNumber(r)) result = numberResult(l, r);
      else if (isInt(l) && allOfKinds(r, isNumber, isStr, isList)) result = r;
      else if (allOfKinds(l, isNumber, isStr, isList) && isInt(r)) result = l;
      break;
    case '/':
    case '//':
      if (isNumber(l) && isNumber(r)) {
        if (isZeroLiteral(r)) c.typeError('integer division or modulo by zero', span);
        result = numberResult(l, r);
      }
      break;
    case '%':
      if (isNumber(l) && isNumber(r)) {
        if (isZeroLiteral(r)) c.typeError('integer division or modulo by zero', span);
        result = INT;
      }
      break;
    case '<<':
    case '>>':
    case '^':
    case '&':
      if (isInt(l) && isInt(r)) result = INT;
      break;
    case '|':
      if (isInt(l) && isInt(r)) result = INT;
      else if (isNone(l)) result = r;
      else if (isNone(r)) result = l;
      else if (isList(l) && isList(r)) result = listOf(sup([listItem(l), listItem(r)]));
      else if (isDict(l) && isDict(r)) result = dictOf(sup([l.key, r.key]), sup([l.val, r.val]));
      else if (isSchema(l) && (isSchema(r) || isDict(r))) result = l;
      break;
    case 'and':
      return BOOL;
    case 'or':
      return sup([l, r]);
    case 'as':
      if (!isUpperBound(toVariableType(l), r)) {
        c.typeError(
          `Conversion of type '${tyStr(l)}' to type '${tyStr(r)}' may be a mistake because neither type sufficiently overlaps with the other`,
          span,
        );
      }
      return r;
  }
  if (result) return result;
  c.typeError(`unsupported operand type(s) for ${op}: '${tyStr(left)}' and '${tyStr(right)}'`, span);
  return ANY;
}

export function unaryType(c: Checker, operand: Type, op: ast.UnaryOp, span: Span): Type {
  if (isAny(operand)) return ANY;
  const t = widenUnion(operand);
  const ok = op === 'not' || ((op === '+' || op === '-') && isNumber(t)) || (op === '~' && (isInt(t) || isBool(t)));
  if (ok) return t;
  c.typeError(`bad operand type for unary ${op}: '${tyStr(operand)}'`, span);
  return ANY;
}

const isPrimitiveLike = (t: Type): boolean => isNumberLike(t) || isStr(t);

export function compareType(c: Checker, left: Type, right: Type, op: ast.CmpOp, span: Span): Type {
  const l = widenUnion(left);
  const r = widenUnion(right);
  if (isAny(l) || isAny(r)) return ANY;
  const membership = op === 'in' || op === 'not in';
  if (!membership && allOfKinds(l, isNumberLike) && allOfKinds(r, isNumberLike)) return BOOL;
  if ((op === '==' || op === '!=') && allOfKinds(l, isPrimitiveLike) && allOfKinds(r, isPrimitiveLike)) return BOOL;
  const equality = op === '==' || op === '!=';
  if (equality && isList(l) && isList(r)) return BOOL;
  if (equality && isDictOrSchema(l) && isDictOrSchema(r)) return BOOL;
  if (membership && isIterable(r)) return BOOL;
  if ((isNone(l) || isNone(r)) && (op === '==' || op === '!=' || op === 'is' || op === 'is not')) return BOOL;
  c.typeError(`unsupported operand type(s) for ${op}: '${tyStr(l)}' and '${tyStr(r)}'`, span);
  return ANY;
}
