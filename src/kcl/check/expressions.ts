/**
 * The type of each kind of expression, found the way the reference's resolver finds it
 * (resolver/node.rs), with its errors: attributes a type does not have, subscripts of values that
 * take none, loop variables that do not fit the iterated value, calls that do not fit their
 * function. Where the reference looks no further (an operand of type `any`, the iterated value of
 * a comprehension that is `any`), neither do we: such code is left to run time.
 */
import type * as ast from '../ast.js';
import type { Span } from '../span.js';
import { checkArguments } from './calls.js';
import type { Checker } from './checker.js';
import { configEntriesType, configIfEntryType, schemaExprType } from './configs.js';
import { binaryType, compareType, unaryType } from './operators.js';
import { sup } from './relations.js';
import {
  ANY,
  BOOL,
  FLOAT,
  INT,
  NONE,
  STR,
  VOID,
  dictOf,
  func,
  isAny,
  isKey,
  isList,
  isNone,
  listOf,
  schemaRef,
  tyStr,
  type Param,
  type Type,
} from './types.js';
import { statementType, statementsType } from './statements.js';
import { STRING_METHOD_TYPES } from './builtin-types.js';

export function exprType(c: Checker, e: ast.Expr): Type {
  switch (e.kind) {
    case 'Identifier':
      return c.resolveName(e.name, e.span);
    case 'NumberLit':
      return numberType(c, e);
    case 'StringLit':
      return { k: 'strLit', v: e.value };
    case 'JoinedString':
      for (const part of e.parts) if (typeof part !== 'string') exprType(c, part.value);
      return STR;
    case 'NameConstantLit':
      return e.value === 'True' || e.value === 'False' ? { k: 'boolLit', v: e.value === 'True' } : NONE;
    case 'ParenExpr':
      return exprType(c, e.expr);
    case 'SelectorExpr':
      return selectorType(c, e);
    case 'SubscriptExpr':
      return subscriptType(c, e);
    case 'CallExpr':
      return callType(c, e);
    case 'UnaryExpr':
      return unaryType(c, exprType(c, e.operand), e.op, e.operand.span);
    case 'BinaryExpr':
      return binaryExprType(c, e);
    case 'CompareExpr':
      return compareExprType(c, e);
    case 'IfExpr': {
      exprType(c, e.cond);
      return sup([exprType(c, e.body), exprType(c, e.orelse)]);
    }
    case 'ListExpr':
      return listOf(sup(listItemTypes(c, e.elts)));
    case 'ListIfItemExpr':
      return listIfItemType(c, e);
    case 'StarredExpr':
      return starredType(c, e);
    case 'ConfigExpr':
      return configEntriesType(c, e.entries);
    case 'ConfigIfEntryExpr':
      return configIfEntryType(c, e);
    case 'ListComp':
      return listCompType(c, e);
    case 'DictComp':
      return dictCompType(c, e);
    case 'QuantExpr':
      return quantType(c, e);
    case 'LambdaExpr':
      return lambdaType(c, e);
    case 'SchemaExpr':
      return schemaExprType(c, e);
    case 'MissingExpr':
      return ANY;
  }
}

function numberType(c: Checker, e: ast.NumberLit): Type {
  if (e.suffix) {
    if (e.isFloat) c.compileError('float literal can not be followed the unit suffix', e.span);
    return { k: 'unit', lit: { raw: Math.trunc(e.value), suffix: e.suffix } };
  }
  return e.isFloat ? { k: 'floatLit', v: e.value } : { k: 'intLit', v: e.value };
}

function selectorType(c: Checker, e: ast.SelectorExpr): Type {
  const value = exprType(c, e.value);
  const ty = c.loadAttr(value, e.attr, e.span);
  if (c.scope === c.packageScope && (value.k === 'str' || value.k === 'strLit') && !isNamePath(e.value) && STRING_METHOD_TYPES.has(e.attr)) {
    // A quirk of the reference's resolver, copied because it decides what compiles: a string
    // method selected at module level on anything but a name (`"a".upper()`) gives its type to
    // the module variable of that name, so a later `upper = 1` is a TypeError there.
    const variable = c.packageScope.elems.get(e.attr);
    if (variable?.kind === 'variable') variable.ty = ty;
  }
  return ty;
}

/** `a` or `a.b.c`: what the reference's AST holds as one dotted identifier. */
function isNamePath(e: ast.Expr): boolean {
  return e.kind === 'Identifier' || (e.kind === 'SelectorExpr' && !e.hasQuestion && isNamePath(e.value));
}

/** List elements, each checked against the item type a list-typed context asks for. */
export function listItemTypes(c: Checker, elts: readonly ast.Expr[]): Type[] {
  const ctx = c.configContext[c.configContext.length - 1];
  const item = ctx && isList(ctx.ty) ? { name: ctx.name, ty: ctx.ty.item, ...(ctx.span ? { span: ctx.span } : {}) } : undefined;
  return elts.map((elt) => (item ? c.withContext(item, () => exprType(c, elt)) : exprType(c, elt)));
}

function subscriptType(c: Checker, e: ast.SubscriptExpr): Type {
  const value = exprType(c, e.value);
  return e.isSlice ? sliceType(c, value, e, e.value.span) : indexedType(c, value, e.index, e.value.span);
}

function sliceType(c: Checker, value: Type, e: ast.SubscriptExpr, span: Span): Type {
  if (isAny(value)) return value;
  switch (value.k) {
    case 'str':
    case 'strLit':
    case 'list':
      for (const bound of [e.lower, e.upper, e.step]) if (bound) c.mustAssign(exprType(c, bound), INT, bound.span);
      return value.k === 'list' ? value : STR;
    case 'dict':
    case 'schema':
      c.compileError("unhashable type: 'slice'", span);
      return ANY;
    default:
      c.compileError(`'${tyStr(value)}' object is not subscriptable`, span);
      return ANY;
  }
}

/**
 * `value[index]`, read or (as an assignment target's step) written: a list or string takes an
 * int index, a dict or schema a key; the item's type is the result.
 */
export function indexedType(c: Checker, value: Type, index: ast.Expr | undefined, span: Span): Type {
  if (isAny(value)) return value;
  switch (value.k) {
    case 'str':
    case 'strLit':
    case 'list':
      if (index) c.mustAssign(exprType(c, index), INT, index.span);
      return value.k === 'list' ? value.item : STR;
    case 'dict':
    case 'schema': {
      if (!index) {
        c.compileError("unhashable type: 'slice'", span);
        return ANY;
      }
      const key = exprType(c, index);
      const val = value.k === 'dict' ? value.val : (value.schema.indexSignature?.valTy ?? ANY);
      if (isNone(key) || isAny(key)) return val;
      if (!isKey(key)) {
        c.compileError(`invalid dict/schema key type: '${tyStr(key)}'`, span);
        return ANY;
      }
      if (index.kind === 'StringLit') return c.loadAttr(value, index.value, span);
      return val;
    }
    default:
      c.compileError(`'${tyStr(value)}' object is not subscriptable`, span);
      return ANY;
  }
}

function callType(c: Checker, e: ast.CallExpr): Type {
  const callee = exprType(c, e.func);
  const span = e.func.span;
  if (isAny(callee)) {
    checkArguments(c, e.func, e.args, e.keywords, undefined);
    return ANY;
  }
  if (callee.k === 'func') {
    checkArguments(c, e.func, e.args, e.keywords, callee);
    return callee.ret;
  }
  if (callee.k === 'schema') {
    if (callee.instance) {
      c.compileError(`schema '${tyStr(callee)}' instance is not callable`, span);
      return ANY;
    }
    checkArguments(c, e.func, e.args, e.keywords, func(callee.schema.params, ANY));
    return schemaRef(callee.schema, true);
  }
  c.compileError(`'${tyStr(callee)}' object is not callable`, span);
  return ANY;
}

/** Type names `as` reads as types, not as the builtin functions of the same name. */
const BASIC_TYPES = new Map<string, Type>([['int', INT], ['float', FLOAT], ['str', STR], ['bool', BOOL], ['any', ANY]]);

function binaryExprType(c: Checker, e: ast.BinaryExpr): Type {
  const left = exprType(c, e.left);
  const right = exprType(c, e.right);
  if (e.op !== 'as') return binaryType(c, left, right, e.op, e.left.span);
  const name = dottedName(e.right);
  if (name === undefined) {
    c.compileError("keyword 'as' right operand must be a type", e.left.span);
    return left;
  }
  let target = BASIC_TYPES.get(name) ?? c.typeOf({ kind: 'NamedType', name, span: e.right.span });
  if (target.k === 'schema') target = schemaRef(target.schema, true);
  return binaryType(c, left, target, 'as', e.left.span);
}

/** `a.b.c` as text, when the expression is only names and dots. */
export function dottedName(e: ast.Expr): string | undefined {
  if (e.kind === 'Identifier') return e.name;
  if (e.kind === 'SelectorExpr' && !e.hasQuestion) {
    const head = dottedName(e.value);
    return head === undefined ? undefined : `${head}.${e.attr}`;
  }
  return undefined;
}

/**
 * Like the reference, only the first comparison of a chain is checked, and the operands after
 * the second are not looked at (`a < b < c` checks `a < b`).
 */
function compareExprType(c: Checker, e: ast.CompareExpr): Type {
  const left = exprType(c, e.left);
  const first = e.comparators[0]!;
  const right = exprType(c, first);
  compareType(c, left, right, e.ops[0]!, first.span);
  for (let i = 1; i < e.comparators.length - 1; i++) compareType(c, left, right, e.ops[i + 1]!, e.comparators[i]!.span);
  return BOOL;
}

function listIfItemType(c: Checker, e: ast.ListIfItemExpr): Type {
  exprType(c, e.cond);
  // An `else:` branch holds items, like the `if` branch (not a list nested in the list).
  const orelse = !e.orelse ? ANY : e.orelse.kind === 'ListExpr' ? sup(listItemTypes(c, e.orelse.elts)) : exprType(c, e.orelse);
  return sup([orelse, sup(listItemTypes(c, e.exprs))]);
}

function starredType(c: Checker, e: ast.StarredExpr): Type {
  const value = exprType(c, e.value);
  const walk = (t: Type): [Type, boolean] => {
    switch (t.k) {
      case 'none':
      case 'any':
        return [t, true];
      case 'list':
        return [t.item, true];
      case 'dict':
        return [t.key, true];
      case 'schema':
        return [STR, true];
      case 'union': {
        const parts = t.types.map(walk);
        return [sup(parts.map(([p]) => p)), parts.every(([, ok]) => ok)];
      }
      default:
        return [ANY, false];
    }
  };
  const [ty, ok] = walk(value);
  if (!ok) c.compileError(`only list, dict, schema object can be used * unpacked, got ${tyStr(ty)}`, e.value.span);
  return ty;
}

// ---------------------------------------------------------------- loops

/** Declares the loop variables and types them from the iterated value. */
function loopVariables(c: Checker, targets: readonly ast.Identifier[], iter: Type, iterSpan: Span, declare: boolean): void {
  if (declare) {
    for (const t of targets) {
      c.localVars.push(t.name);
      c.insert(t.name, { ty: ANY, span: t.span, kind: 'variable' });
    }
  }
  if (targets.length > 2) {
    c.compileError(`the number of loop variables is ${targets.length}, which can only be 1 or 2`, targets[0]!.span);
    return;
  }
  const [first, second] = targets;
  if (!first) return;
  let firstTy: Type = VOID;
  let secondTy: Type = VOID;
  const set = (name: string, ty: Type): void => c.setType(name, ty, first.span);
  for (const t of iter.k === 'union' ? iter.types : [iter]) {
    if (!(t.k === 'any' || t.k === 'str' || t.k === 'strLit' || t.k === 'list' || t.k === 'dict' || t.k === 'schema')) {
      c.compileError(`'${tyStr(t)}' object is not iterable`, iterSpan);
    }
    let key: Type | undefined;
    let val: Type | undefined;
    if (t.k === 'list') [key, val] = second ? [INT, t.item] : [t.item, undefined];
    else if (t.k === 'dict') [key, val] = [t.key, t.val];
    else if (t.k === 'schema') [key, val] = [STR, t.schema.indexSignature?.valTy ?? ANY];
    else if (t.k === 'str' || t.k === 'strLit') [key, val] = second ? [INT, STR] : [STR, undefined];
    if (key === undefined) continue;
    firstTy = sup([key, firstTy]);
    set(first.name, firstTy);
    if (second && val !== undefined) {
      secondTy = sup([val, secondTy]);
      set(second.name, secondTy);
    }
  }
}

function compClauses(c: Checker, generators: readonly ast.CompClause[]): void {
  for (const g of generators) {
    const iter = exprType(c, g.iter);
    loopVariables(c, g.targets, iter, g.iter.span, true);
    for (const cond of g.ifs) exprType(c, cond);
  }
}

function listCompType(c: Checker, e: ast.ListComp): Type {
  c.enterScope('loop');
  try {
    compClauses(c, e.generators);
    if (e.elt.kind === 'StarredExpr') c.compileError('list unpacking cannot be used in list comprehension', e.elt.span);
    return listOf(exprType(c, e.elt));
  } finally {
    c.leaveScope();
  }
}

function dictCompType(c: Checker, e: ast.DictComp): Type {
  c.enterScope('loop');
  try {
    compClauses(c, e.generators);
    const key = e.entry.key ? exprType(c, e.entry.key) : ANY;
    // A key must be a string. A None value is allowed (it becomes ''), as in the reference,
    // whose loop variables and branches type it `any`; only a `None` written as the key is not.
    if (e.entry.key && (!isCompKey(key) || isNoneLiteral(e.entry.key))) {
      c.report('E2A31', `A attribute must be string type, got '${tyStr(key)}'`, e.entry.key.span);
    }
    return dictOf(key, exprType(c, e.entry.value));
  } finally {
    c.leaveScope();
  }
}

function isNoneLiteral(e: ast.Expr): boolean {
  if (e.kind === 'ParenExpr') return isNoneLiteral(e.expr);
  return e.kind === 'NameConstantLit' && (e.value === 'None' || e.value === 'Undefined');
}

function isCompKey(t: Type): boolean {
  return isAny(t) || isNone(t) || isKey(t) || (t.k === 'union' && t.types.every(isCompKey));
}

function quantType(c: Checker, e: ast.QuantExpr): Type {
  const iter = exprType(c, e.target);
  c.enterScope('loop');
  try {
    loopVariables(c, e.variables, iter, e.target.span, true);
    if (e.ifCond) exprType(c, e.ifCond);
    const item = exprType(c, e.test);
    if (isAny(iter)) return ANY;
    switch (e.op) {
      case 'all':
      case 'any':
        return BOOL;
      case 'filter':
        return iter;
      case 'map':
        return listOf(item);
    }
  } finally {
    c.leaveScope();
  }
}

// ---------------------------------------------------------------- lambdas

function lambdaType(c: Checker, e: ast.LambdaExpr): Type {
  checkDefaultsOrder(c, e.params);
  const params: Param[] = e.params.map((p) => {
    const ty = c.typeOf(p.type);
    if (p.default) exprType(c, p.default);
    return { name: p.name, ty, hasDefault: p.default !== undefined, span: p.span };
  });
  let ret = c.typeOf(e.returnType);
  const savedLocals = c.localVars;
  c.enterScope('lambda');
  let bodyTy: Type;
  try {
    for (const p of params) c.insert(p.name, { ty: p.ty, ...(p.span ? { span: p.span } : {}), kind: 'parameter' });
    // The value returned (the last expression) is checked against the declared return type the
    // way a config is against its variable's: `-> P { {n = 5} }` adds a member P lacks.
    const last = e.body[e.body.length - 1];
    if (e.returnType && !isAny(ret) && last?.kind === 'ExprStmt') {
      statementsType(c, e.body.slice(0, -1));
      bodyTy = c.withContext({ name: '', ty: ret }, () => statementType(c, last));
    } else {
      bodyTy = statementsType(c, e.body);
    }
  } finally {
    c.leaveScope();
    c.localVars = savedLocals;
  }
  c.mustAssign(bodyTy, ret, e.span);
  if (!isAny(bodyTy) && isAny(ret) && !e.returnType) ret = bodyTy;
  return func(params, ret);
}

/** `lambda a = 1, b` / `schema S[a = 1, b]`: a parameter without a default after one with. */
export function checkDefaultsOrder(c: Checker, params: readonly ast.Parameter[]): void {
  let seenRequired = false;
  for (let i = params.length - 1; i >= 0; i--) {
    const p = params[i]!;
    if (!p.default) seenRequired = true;
    else if (seenRequired) c.report('E1001', 'non-default argument follows default argument', p.default.span, undefined, 'IllegalParameterError');
  }
}
