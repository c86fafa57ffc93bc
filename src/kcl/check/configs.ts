/**
 * Config literals (`{k = v}`), `if` entries inside them, and schema expressions (`S {k = v}`),
 * checked the way the reference's resolver checks them (resolver/config.rs): a stack of
 * expected types (the "config context") follows the literal down through its keys, so each
 * value is checked against the attribute it sets, and a key a schema does not declare is a
 * CompileError. Keys written earlier in the same literal are names the later values may read.
 */
import type * as ast from '../ast.js';
import type { Span } from '../span.js';
import { checkArguments } from './calls.js';
import { isOpenSchema, type Checker, type ConfigContext } from './checker.js';
import { exprType } from './expressions.js';
import { binaryType } from './operators.js';
import { allOfKinds, sup } from './relations.js';
import {
  ANY,
  STR,
  configKey,
  configVal,
  dictOf,
  func,
  isAny,
  isDict,
  isKey,
  isList,
  isSchema,
  schemaAttr,
  schemaRef,
  tyStr,
  type SchemaInfo,
  type Type,
} from './types.js';

interface KeyPath {
  readonly names: readonly string[];
  /** `a[0]: v` — an insert at an index. */
  readonly indexed: boolean;
}

/** The attribute path a config key names, when it is one the checker can follow. */
function keyPath(key: ast.Expr): KeyPath | undefined {
  if (key.kind === 'StringLit') return { names: [key.value], indexed: false };
  if (key.kind === 'SubscriptExpr') {
    if (key.isSlice || !key.index || !isNumberLiteral(key.index)) return undefined;
    const names = identifierNames(key.value);
    return names ? { names, indexed: true } : undefined;
  }
  const names = identifierNames(key);
  return names ? { names, indexed: false } : undefined;
}

/** `2`, `-2` or `+2`: a list index a config entry may set or insert at. */
function isNumberLiteral(e: ast.Expr): boolean {
  return e.kind === 'NumberLit' || (e.kind === 'UnaryExpr' && (e.op === '-' || e.op === '+') && e.operand.kind === 'NumberLit');
}

function identifierNames(e: ast.Expr): string[] | undefined {
  if (e.kind === 'Identifier') return [e.name];
  if (e.kind === 'SelectorExpr' && !e.hasQuestion) {
    const head = identifierNames(e.value);
    return head ? [...head, e.attr] : undefined;
  }
  return undefined;
}

function top(c: Checker): ConfigContext | undefined {
  return c.configContext[c.configContext.length - 1];
}

/** The context for the value under `name`, given the context of the config holding it. */
function contextFor(c: Checker, name: string): ConfigContext | undefined {
  const ctx = top(c);
  if (!ctx || name === '') return undefined;
  const ty = ctx.ty;
  if (isDict(ty)) return { name, ty: ty.val, ...(ctx.span ? { span: ctx.span } : {}) };
  if (isSchema(ty)) {
    const attr = schemaAttr(ty.schema, name);
    if (attr) return { name, ty: attr.ty, span: attr.span };
    const sig = ty.schema.indexSignature;
    if (sig) return { name, ty: sig.valTy, ...(ctx.span ? { span: ctx.span } : {}) };
  }
  return undefined;
}

/** "Cannot add member": a key a (closed) schema does not declare. */
export function checkSchemaMember(c: Checker, schema: SchemaInfo, name: string, span: Span): void {
  if (!schemaAttr(schema, name) && !isOpenSchema(schema)) c.compileError(`Cannot add member '${name}' to schema '${schema.name}'`, span);
}

/** Pushes the contexts of a key path; returns how many it pushed. */
function enterPath(c: Checker, names: readonly string[], span: Span | undefined): number {
  for (const name of names) {
    const ctx = top(c);
    // An empty key is left to run time by the reference (it is not looked up as a member).
    if (span && ctx && isSchema(ctx.ty) && name !== '') checkSchemaMember(c, ctx.ty.schema, name, span);
    c.configContext.push(contextFor(c, name));
  }
  return names.length;
}

/**
 * The type of an entry's value, under the context of its key. Inside a typed config (a
 * schema, an annotated variable) the value is checked against what its key declares: for a
 * path `a.b.c`, against `c`'s type, and, nested in dicts (`{b: {c: value}}`), against `a`'s.
 */
function entryValueType(c: Checker, key: ast.Expr | undefined, value: ast.Expr): Type {
  const path = key ? keyPath(key) : undefined;
  if (!path) return exprType(c, value);
  const checked = top(c) !== undefined;
  const depth = c.configContext.length;
  enterPath(c, path.names, checked ? key!.span : undefined);
  const first = c.configContext[depth];
  try {
    const ty = exprType(c, value);
    const innermost = top(c);
    if (checked && innermost) c.mustAssign(ty, innermost.ty, key!.span, innermost.span);
    if (checked && first && path.names.length > 1) c.mustAssign(nestLiteral(path.names, ty, key!.span), first.ty, key!.span, first.span);
    return ty;
  } finally {
    c.configContext.length = depth;
  }
}

/** `a.b.c = v` as the value it gives `a`: `{b: {c: v}}`, keys as literal types. */
function nestLiteral(names: readonly string[], ty: Type, span: Span): Type {
  let out = ty;
  for (let i = names.length - 1; i >= 1; i--) {
    const name = names[i]!;
    out = dictOf({ k: 'strLit', v: name }, out, new Map([[name, { ty: out, span }]]));
  }
  return out;
}

/** `**value` (or an `if` entry): its keys and values join the literal's. */
function unpacked(c: Checker, ty: Type, span: Span, keys: Type[], vals: Type[]): void {
  if (ty.k === 'none' || ty.k === 'any') {
    vals.push(ty);
    return;
  }
  if (ty.k === 'dict' || ty.k === 'schema') {
    keys.push(configKey(ty));
    vals.push(configVal(ty));
    return;
  }
  if (ty.k === 'union' && allOfKinds(ty, isDict, isSchema)) {
    keys.push(sup(ty.types.map(configKey)));
    vals.push(sup(ty.types.map(configVal)));
    return;
  }
  c.compileError(`only dict and schema can be used ** unpack, got '${tyStr(ty)}'`, span);
}

function nest(names: readonly string[], ty: Type): Type {
  let out = ty;
  for (let i = 1; i < names.length; i++) out = dictOf(STR, out);
  return out;
}

export function configEntriesType(c: Checker, entries: readonly ast.ConfigEntry[]): Type {
  c.enterScope('config');
  const keys: Type[] = [];
  const vals: Type[] = [];
  const attrs = new Map<string, { ty: Type; span: Span }>();
  try {
    for (const entry of entries) {
      const key = entry.key;
      const valTy = entryValueType(c, key, entry.value);
      if (!key) {
        unpacked(c, valTy, entry.value.span, keys, vals);
        continue;
      }
      const path = keyPath(key);
      let recorded = valTy;
      if (path && !path.indexed && key.kind !== 'StringLit') {
        const first = path.names[0]!;
        recorded = nest(path.names, valTy);
        let keyTy: Type = STR;
        if (path.names.length === 1) {
          keyTy = c.localVars.includes(first) ? keyType(c, key) : { k: 'strLit', v: first };
          checkAttrType(c, keyTy, key.span);
        }
        c.insert(first, { ty: recorded, span: key.span, kind: 'attribute' });
        attrs.set(first, { ty: recorded, span: key.span });
        keys.push(keyTy);
        vals.push(recorded);
      } else if (path?.indexed) {
        keys.push(STR);
        vals.push({ k: 'list', item: valTy });
      } else {
        const keyTy = key.kind === 'StringLit' ? ({ k: 'strLit', v: key.value } as Type) : keyType(c, key);
        checkAttrType(c, keyTy, key.span);
        if (key.kind === 'StringLit') {
          c.insert(key.value, { ty: valTy, span: key.span, kind: 'attribute' });
          attrs.set(key.value, { ty: valTy, span: key.span });
        }
        keys.push(keyTy);
        vals.push(valTy);
      }
      if (entry.op === '+=' && !path?.indexed && !isAny(valTy) && !isList(valTy)) {
        c.report('E2A31', `only list type can in inserted, got '${tyStr(valTy)}'`, entry.value.span);
      }
    }
  } finally {
    c.leaveScope();
  }
  return dictOf(sup(keys), sup(vals), attrs);
}

/** A computed key is read on its own: the context of the config holding it is for its values. */
function keyType(c: Checker, key: ast.Expr): Type {
  return c.withContext(undefined, () => exprType(c, key));
}

function checkAttrType(c: Checker, keyTy: Type, span: Span): void {
  if (!isAny(keyTy) && !isKey(keyTy)) c.report('E2A31', `A attribute must be string type, got '${tyStr(keyTy)}'`, span);
}

export function configIfEntryType(c: Checker, e: ast.ConfigIfEntryExpr): Type {
  exprType(c, e.cond);
  const keys: Type[] = [];
  const vals: Type[] = [];
  for (const entry of e.entries) {
    const valTy = entryValueType(c, entry.key, entry.value);
    const path = entry.key ? keyPath(entry.key) : undefined;
    if (!entry.key) {
      unpacked(c, valTy, entry.value.span, keys, vals);
    } else if (path && !path.indexed && entry.key.kind !== 'StringLit') {
      keys.push(STR);
      vals.push(nest(path.names, valTy));
    } else {
      keys.push(ANY);
      vals.push(valTy);
    }
  }
  const own = dictOf(sup(keys), sup(vals));
  return e.orelse ? sup([own, exprType(c, e.orelse)]) : sup([own, ANY]);
}

// ---------------------------------------------------------------- schema expressions

export function schemaExprType(c: Checker, e: ast.SchemaExpr): Type {
  const def = exprType(c, e.name);
  const span = e.name.span;
  if (def.k === 'any') {
    exprType(c, e.config);
    checkArguments(c, e.name, e.args, e.keywords, undefined);
    return ANY;
  }
  if (def.k === 'dict') {
    const config = c.withContext({ name: '', ty: def }, () => exprType(c, e.config));
    return binaryType(c, def, config, '|', span);
  }
  if (def.k !== 'schema') {
    c.compileError(`Invalid schema type '${tyStr(def)}'`, span);
    return ANY;
  }
  // The reference finds a missing required attribute before anything wrong inside the config.
  if (!def.instance) checkRequiredAttributes(c, def.schema, e.config);
  c.withContext({ name: def.schema.name, ty: def }, () => exprType(c, e.config));
  if (def.instance) {
    if (e.args.length > 0 || e.keywords.length > 0) c.compileError('Arguments cannot be used in the schema modification expression', span);
  } else {
    checkArguments(c, e.name, e.args, e.keywords, func(def.schema.params, ANY));
  }
  return schemaRef(def.schema, true);
}

/**
 * A required attribute (no `?`, no default, not set by the schema's own body) that the
 * config does not set is refused at compile time. The reference cannot decide it when the
 * config unpacks another (`**base`) or holds an `if` entry, so neither do we.
 */
function checkRequiredAttributes(c: Checker, schema: SchemaInfo, config: ast.ConfigExpr): void {
  if (isOpenSchema(schema)) return;
  const given = new Set<string>();
  for (const entry of config.entries) {
    // A `**` unpack or an `if` entry (even one whose branches all set the attribute) leaves
    // the check to run time, as in the reference.
    if (entry.isDoubleStar || !entry.key) return;
    const path = keyPath(entry.key);
    if (!path) return;
    given.add(path.names[0]!);
  }
  for (const [name, attr] of requiredAttributes(schema)) {
    if (!given.has(name)) {
      c.compileError(`attribute '${name}' of ${schema.name} is required and can't be None or Undefined`, config.span);
      void attr;
    }
  }
}

/**
 * Attributes an instance must be given: declared by the schema itself (inherited ones are left
 * to run time, as the reference leaves them) without `?`, without a default, and not set by
 * its body.
 */
function requiredAttributes(schema: SchemaInfo): Map<string, SchemaInfo> {
  const out = new Map<string, SchemaInfo>();
  for (const [name, attr] of schema.attrs) {
    if (name === '__settings__' || attr.optional || attr.hasDefault || schema.assigned.has(name)) continue;
    out.set(name, schema);
  }
  return out;
}
