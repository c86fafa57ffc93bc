/**
 * Relations between types, as the reference's `ty/unify.rs` and `ty/context.rs` define them:
 * which type a value of another may be assigned to (subsume), the least common supertype of a
 * list of types (sup), and the "variable type" of a literal type (`int(1)` stored in a variable
 * is an `int`). Its quirks are kept on purpose, since they decide which programs it rejects:
 * an `int` is assignable to `float`, a literal is assignable to a primitive whose name its own
 * type name contains, and `None` is assignable to everything.
 */
import {
  ANY,
  BOOL,
  FLOAT,
  INT,
  STR,
  dictOf,
  isAny,
  isFloat,
  isInt,
  isLiteral,
  isNone,
  isPrimitive,
  isStr,
  isSubSchemaOf,
  isVoid,
  listOf,
  sameType,
  tyStr,
  unionOf,
  type Type,
} from './types.js';

export function subsume(lhs: Type, rhs: Type, checkLeftAny: boolean): boolean {
  if ((checkLeftAny && isAny(lhs)) || isAny(rhs) || isNone(lhs)) return true;
  if (lhs.k === 'union') return lhs.types.every((t) => subsume(t, rhs, false));
  if (rhs.k === 'union') return rhs.types.some((t) => subsume(lhs, t, false));
  if (lhs.k === 'schema') return rhs.k === 'schema' && isSubSchemaOf(lhs.schema, rhs.schema);
  if (isInt(lhs) && isFloat(rhs)) return true;
  if (lhs.k === 'unit' && rhs.k === 'unit') {
    if (lhs.lit && rhs.lit) return lhs.lit.raw === rhs.lit.raw && lhs.lit.suffix === rhs.lit.suffix;
    return lhs.lit !== undefined || rhs.lit === undefined;
  }
  if (isPrimitive(lhs) && isPrimitive(rhs)) return lhs.k === rhs.k;
  if (isLiteral(lhs)) {
    if (isLiteral(rhs)) return sameType(lhs, rhs);
    if (isPrimitive(rhs)) {
      if (isFloat(rhs) && !isStr(lhs)) return true;
      // The reference compares the type names as text: `str(int)` "contains" `int`.
      const text = lhs.k === 'strLit' ? `str(${lhs.v})` : tyStr(lhs);
      return text.includes(rhs.k);
    }
    return false;
  }
  // Functions are not compared by signature: any function fits a function type.
  if (lhs.k === 'func' && rhs.k === 'func') return true;
  if (lhs.k === 'list' && rhs.k === 'list') return subsume(lhs.item, rhs.item, checkLeftAny);
  if (lhs.k === 'dict' && rhs.k === 'dict') return subsume(lhs.key, rhs.key, checkLeftAny) && subsume(lhs.val, rhs.val, checkLeftAny);
  return sameType(lhs, rhs);
}

/** Whether a value of type `t` may be assigned where `expected` is declared. */
export function assignableTo(t: Type, expected: Type): boolean {
  if (t.k === 'void' || t.k === 'module') return false;
  return subsume(t, expected, true);
}

/** Whether `upper` is a supertype of `t`. */
export function isUpperBound(upper: Type, t: Type): boolean {
  return subsume(t, upper, false);
}

/**
 * Unions wider than this are not tracked: the result is `any`. A literal of many distinct
 * values (`[1, 2, ..., 100000]`) would otherwise make every union operation quadratic. `any`
 * only makes the checker accept more, never refuse what the reference accepts.
 */
export const MAX_UNION_MEMBERS = 64;

/** The least upper bound of `types`: members flattened, duplicates and subtypes removed. */
export function sup(types: readonly Type[]): Type {
  const set: Type[] = [];
  const literalKeys = new Set<string>();
  let overflow = false;
  const add = (t: Type): void => {
    if (overflow) return;
    if (t.k === 'union') {
      t.types.forEach(add);
      return;
    }
    if (isVoid(t)) return;
    if (t.k === 'boolLit' || t.k === 'intLit' || t.k === 'floatLit' || t.k === 'strLit') {
      const key = `${t.k}\u0000${String(t.v)}`;
      if (literalKeys.has(key)) return;
      literalKeys.add(key);
    } else {
      // The reference keys its union members by their text: a later equal type (a dict with
      // other attributes, say) takes the place of the earlier one.
      const same = set.findIndex((s) => sameType(s, t));
      if (same >= 0) {
        set[same] = t;
        return;
      }
    }
    set.push(t);
    if (set.length > MAX_UNION_MEMBERS) overflow = true;
  };
  types.forEach(add);
  if (overflow) return ANY;
  const kept = set.filter((t, i) => !set.some((u, j) => i !== j && subsume(t, u, false)));
  if (kept.length === 0) return ANY;
  if (kept.length === 1) return kept[0]!;
  return unionOf(kept);
}

/** The type a variable gets from a value: literals widen, None tells nothing. */
export function toVariableType(t: Type): Type {
  switch (t.k) {
    case 'none':
      return ANY;
    case 'boolLit':
      return BOOL;
    case 'intLit':
      return INT;
    case 'floatLit':
      return FLOAT;
    case 'strLit':
      return STR;
    case 'list':
      return listOf(toVariableType(t.item));
    case 'dict': {
      const attrs = t.attrs && new Map([...t.attrs].map(([k, a]) => [k, { ty: toVariableType(a.ty), span: a.span }]));
      return dictOf(toVariableType(t.key), toVariableType(t.val), attrs);
    }
    case 'union':
      return sup(t.types.map(toVariableType));
    default:
      return t;
  }
}

/** A union of literals as its variable type (`1 | 2` is `int`); other types unchanged. */
export function widenUnion(t: Type): Type {
  return t.k === 'union' ? toVariableType(t) : t;
}

/** Whether `t`, or every member of the union `t`, satisfies one of `preds`. */
export function allOfKinds(t: Type, ...preds: ((t: Type) => boolean)[]): boolean {
  const ok = (m: Type): boolean => preds.some((p) => p(m));
  return t.k === 'union' ? t.types.every(ok) : ok(t);
}

export const isBoolFlag = (t: Type): boolean => t.k === 'bool' || t.k === 'boolLit';
