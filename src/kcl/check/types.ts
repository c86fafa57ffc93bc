/**
 * The checker's type model, as the reference's resolver (kclvm/sema, ty/) has it: primitive
 * types and their literal types (`int(1)`, `str(a)`), lists, dicts (which remember the types of
 * their literal keys), unions, schemas (a definition or an instance), number multipliers,
 * functions and modules. Types are immutable values; a schema's description is shared and
 * filled in as the module's schemas are built.
 */
import type { Span } from '../span.js';

export type Type =
  | { readonly k: 'any' }
  | { readonly k: 'none' }
  /** The bottom type: what an empty list holds, removed from unions. */
  | { readonly k: 'void' }
  | { readonly k: 'bool' }
  | { readonly k: 'int' }
  | { readonly k: 'float' }
  | { readonly k: 'str' }
  | { readonly k: 'boolLit'; readonly v: boolean }
  | { readonly k: 'intLit'; readonly v: number }
  | { readonly k: 'floatLit'; readonly v: number }
  | { readonly k: 'strLit'; readonly v: string }
  | { readonly k: 'list'; readonly item: Type }
  | DictType
  | { readonly k: 'union'; readonly types: readonly Type[] }
  | SchemaRef
  /** `number_multiplier` (`units.NumberMultiplier`), or the literal type of `1Ki`. */
  | { readonly k: 'unit'; readonly lit?: { readonly raw: number; readonly suffix: string } }
  | FuncType
  | { readonly k: 'module'; readonly pkgpath: string; readonly system: boolean };

export interface DictType {
  readonly k: 'dict';
  readonly key: Type;
  readonly val: Type;
  /** Types of the literal keys a config expression wrote, with where each was written. */
  readonly attrs?: ReadonlyMap<string, { readonly ty: Type; readonly span: Span }>;
}

export interface SchemaRef {
  readonly k: 'schema';
  readonly schema: SchemaInfo;
  /** An instance (`p` in `p = P {}`) rather than the schema itself (`P`). */
  readonly instance: boolean;
}

export interface Param {
  readonly name: string;
  readonly ty: Type;
  readonly hasDefault: boolean;
  /** Where a user-written parameter is declared (lambda, schema). */
  readonly span?: Span;
}

export interface FuncType {
  readonly k: 'func';
  readonly params: readonly Param[];
  readonly ret: Type;
  /** Accepts any number of positional arguments (`print`, `max`, `str.format`). */
  readonly variadic: boolean;
}

export interface SchemaAttr {
  ty: Type;
  readonly optional: boolean;
  /** Declared with a default value (`a: int = 1`), or given one in the body. */
  readonly hasDefault: boolean;
  readonly span: Span;
}

export interface IndexSignature {
  readonly keyName?: string;
  readonly keyTy: Type;
  readonly valTy: Type;
  readonly anyOther: boolean;
}

/** A schema or rule as the checker knows it; built once per module, then read. */
export interface SchemaInfo {
  readonly name: string;
  readonly pkgpath: string;
  readonly span: Span;
  readonly isMixin: boolean;
  readonly isProtocol: boolean;
  readonly isRule: boolean;
  base?: SchemaInfo;
  protocol?: SchemaInfo;
  mixins: SchemaInfo[];
  /** Own attributes in declaration order (mixins' attributes merged in). */
  attrs: Map<string, SchemaAttr>;
  params: Param[];
  indexSignature?: IndexSignature;
  /** Names the body assigns (`name = "x"`, also inside `if`): those count as defaults. */
  assigned: Set<string>;
}

export const ANY: Type = { k: 'any' };
export const NONE: Type = { k: 'none' };
export const VOID: Type = { k: 'void' };
export const BOOL: Type = { k: 'bool' };
export const INT: Type = { k: 'int' };
export const FLOAT: Type = { k: 'float' };
export const STR: Type = { k: 'str' };
export const UNIT: Type = { k: 'unit' };
export const NUMBER: Type = { k: 'union', types: [INT, FLOAT] };

export const listOf = (item: Type): Type => ({ k: 'list', item });
export const dictOf = (key: Type, val: Type, attrs?: DictType['attrs']): Type =>
  attrs && attrs.size > 0 ? { k: 'dict', key, val, attrs } : { k: 'dict', key, val };
export const unionOf = (types: readonly Type[]): Type => ({ k: 'union', types });
export const schemaRef = (schema: SchemaInfo, instance: boolean): SchemaRef => ({ k: 'schema', schema, instance });
export const func = (params: readonly Param[], ret: Type, variadic = false): FuncType => ({ k: 'func', params, ret, variadic });

/** `str | {any:any} | [any]`: what `len` and `in` accept. */
export const ITERABLE: Type = unionOf([STR, dictOf(ANY, ANY), listOf(ANY)]);

// ---------------------------------------------------------------- predicates (the reference's flags)

export const isAny = (t: Type): boolean => t.k === 'any';
export const isNone = (t: Type): boolean => t.k === 'none';
export const isVoid = (t: Type): boolean => t.k === 'void';
export const isBool = (t: Type): boolean => t.k === 'bool' || t.k === 'boolLit';
export const isInt = (t: Type): boolean => t.k === 'int' || t.k === 'intLit';
export const isFloat = (t: Type): boolean => t.k === 'float' || t.k === 'floatLit';
export const isStr = (t: Type): boolean => t.k === 'str' || t.k === 'strLit';
export const isNumber = (t: Type): boolean => isInt(t) || isFloat(t);
export const isList = (t: Type): t is { k: 'list'; item: Type } => t.k === 'list';
export const isDict = (t: Type): t is DictType => t.k === 'dict';
export const isSchema = (t: Type): t is SchemaRef => t.k === 'schema';
export const isUnion = (t: Type): t is { k: 'union'; types: readonly Type[] } => t.k === 'union';
export const isFunc = (t: Type): t is FuncType => t.k === 'func';
export const isUnit = (t: Type): boolean => t.k === 'unit';
export const isModule = (t: Type): boolean => t.k === 'module';
export const isLiteral = (t: Type): boolean => t.k === 'boolLit' || t.k === 'intLit' || t.k === 'floatLit' || t.k === 'strLit';
export const isPrimitive = (t: Type): boolean => t.k === 'bool' || t.k === 'int' || t.k === 'float' || t.k === 'str';
export const isIterable = (t: Type): boolean => isStr(t) || isList(t) || isDict(t) || isSchema(t);
export const isDictOrSchema = (t: Type): boolean => isDict(t) || isSchema(t);
export const isSchemaDef = (t: Type): boolean => t.k === 'schema' && !t.instance;

/** A type a config key may have: a string, or a union of strings. */
export function isKey(t: Type): boolean {
  if (isStr(t)) return true;
  return t.k === 'union' && t.types.every(isKey);
}

/** Whether a value of this type can be stored in a variable (not a module or the bottom type). */
export function isAssignable(t: Type): boolean {
  return t.k !== 'void' && t.k !== 'module';
}

/** Whether every member of a union (or the type itself) satisfies `pred`. */
export function everyMember(t: Type, pred: (t: Type) => boolean): boolean {
  return t.k === 'union' ? t.types.every(pred) : pred(t);
}

export function listItem(t: Type): Type {
  return t.k === 'list' ? t.item : ANY;
}

/** The value type a config of this type holds under an unknown key. */
export function configVal(t: Type): Type {
  if (t.k === 'dict') return t.val;
  if (t.k === 'schema') return t.schema.indexSignature?.valTy ?? ANY;
  return ANY;
}

export function configKey(t: Type): Type {
  return t.k === 'dict' ? t.key : STR;
}

// ---------------------------------------------------------------- schemas

/** An attribute of a schema, its bases and protocol included. */
export function schemaAttr(s: SchemaInfo, name: string): SchemaAttr | undefined {
  for (let cur: SchemaInfo | undefined = s; cur; cur = cur.base) {
    const own = cur.attrs.get(name);
    if (own) return own;
    if (!cur.base && cur.protocol) return schemaAttr(cur.protocol, name);
  }
  return undefined;
}

export function isSubSchemaOf(sub: SchemaInfo, sup: SchemaInfo): boolean {
  for (let cur: SchemaInfo | undefined = sub; cur; cur = cur.base) {
    if (cur === sup || (cur.name === sup.name && cur.pkgpath === sup.pkgpath)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- display (the reference's ty_str)

/** Rust's Display of an f64: no `.0` on whole numbers, no exponent. */
export function floatText(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return v.toFixed(0);
  return String(v);
}

/** Type names longer than this are cut short in messages (a type is as big as its literal). */
const MAX_TYPE_TEXT = 500;

export function tyStr(t: Type): string {
  const out: string[] = [];
  let length = 0;
  const put = (s: string): boolean => {
    out.push(s);
    length += s.length;
    return length < MAX_TYPE_TEXT;
  };
  const write = (t: Type): boolean => {
    switch (t.k) {
      case 'any':
      case 'bool':
      case 'int':
      case 'float':
      case 'str':
      case 'void':
        return put(t.k);
      case 'none':
        return put('NoneType');
      case 'boolLit':
        return put(`bool(${t.v ? 'True' : 'False'})`);
      case 'intLit':
        return put(`int(${t.v})`);
      case 'floatLit':
        return put(`float(${floatText(t.v)})`);
      case 'strLit':
        return put(`str(${t.v.length > MAX_TYPE_TEXT ? `${t.v.slice(0, MAX_TYPE_TEXT)}…` : t.v})`);
      case 'list':
        return put('[') && write(t.item) && put(']');
      case 'dict':
        return put('{') && write(t.key) && put(':') && write(t.val) && put('}');
      case 'union':
        return t.types.every((m, i) => (i === 0 || put(' | ')) && write(m));
      case 'schema':
        return put(t.schema.name);
      case 'unit':
        return put(t.lit ? `number_multiplier(${t.lit.raw}${t.lit.suffix})` : 'number_multiplier');
      case 'func':
        return put('(') && t.params.every((p, i) => (i === 0 || put(', ')) && write(p.ty)) && put(') -> ') && write(t.ret);
      case 'module':
        return put(`module '${t.pkgpath}'`);
    }
  };
  if (!write(t)) out.push('…');
  return out.join('');
}

// ---------------------------------------------------------------- equality

/** Structural equality, as the reference compares type kinds (a dict's key positions aside). */
export function sameType(a: Type, b: Type): boolean {
  if (a === b) return true;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'boolLit':
    case 'intLit':
    case 'floatLit':
    case 'strLit':
      return a.v === (b as typeof a).v;
    case 'list':
      return sameType(a.item, (b as typeof a).item);
    case 'dict': {
      const d = b as DictType;
      return sameType(a.key, d.key) && sameType(a.val, d.val);
    }
    case 'union': {
      const u = b as typeof a;
      return a.types.length === u.types.length && a.types.every((t, i) => sameType(t, u.types[i]!));
    }
    case 'schema': {
      const s = b as SchemaRef;
      return a.instance === s.instance && (a.schema === s.schema || (a.schema.name === s.schema.name && a.schema.pkgpath === s.schema.pkgpath));
    }
    case 'unit': {
      const u = b as typeof a;
      return a.lit === u.lit || (a.lit !== undefined && u.lit !== undefined && a.lit.raw === u.lit.raw && a.lit.suffix === u.lit.suffix);
    }
    case 'func': {
      const f = b as FuncType;
      return a.params.length === f.params.length && sameType(a.ret, f.ret) && a.params.every((p, i) => sameType(p.ty, f.params[i]!.ty));
    }
    case 'module':
      return a.pkgpath === (b as typeof a).pkgpath;
    default:
      return true;
  }
}
