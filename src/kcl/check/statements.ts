/**
 * Statements (resolver/node.rs): assignments are checked against the variable's declared type
 * (its annotation, wherever in the module it is written) or, for an unannotated variable,
 * against the type its first assignment gave it; `+=` and friends against their operator; a
 * unification `a: S {...}` against its schema. Module-level variables are declared before any
 * statement is checked, so a statement may read a variable assigned further down.
 */
import type * as ast from '../ast.js';
import type { Checker } from './checker.js';
import { exprType, indexedType } from './expressions.js';
import { binaryType } from './operators.js';
import { checkSchemaAttr, checkSchemaStmt } from './schemas.js';
import { RESERVED_TYPE_NAMES } from './builtin-types.js';
import { ANY, STR, func, isAny, schemaRef, tyStr, type Type } from './types.js';

export function statementsType(c: Checker, stmts: readonly ast.Stmt[]): Type {
  let last: Type = ANY;
  for (const s of stmts) last = statementType(c, s);
  return last;
}

export function statementType(c: Checker, stmt: ast.Stmt | ast.SchemaAttr): Type {
  // A schema body's `if` may declare attributes too.
  if (stmt.kind === 'SchemaAttr') {
    if (c.schema) checkSchemaAttr(c, stmt, c.schema);
    return ANY;
  }
  const s = stmt;
  switch (s.kind) {
    case 'ExprStmt': {
      const types = s.exprs.map((e) => exprType(c, e));
      if (types.length > 1) c.compileError('expression statement can only have one expression', s.exprs[1]!.span);
      return types[types.length - 1] ?? ANY;
    }
    case 'AssignStmt':
      return assignType(c, s);
    case 'AugAssignStmt':
      return augAssignType(c, s);
    case 'UnificationStmt':
      return unificationType(c, s);
    case 'IfStmt':
      exprType(c, s.cond);
      statementsType(c, s.body);
      statementsType(c, s.orelse);
      return ANY;
    case 'AssertStmt':
      exprType(c, s.test);
      if (s.ifCond) exprType(c, s.ifCond);
      if (s.msg) c.mustAssign(exprType(c, s.msg), STR, s.msg.span);
      return ANY;
    case 'ImportStmt':
      return ANY;
    case 'SchemaStmt':
    case 'RuleStmt':
      return checkSchemaStmt(c, s);
    case 'TypeAliasStmt':
      return typeAlias(c, s);
  }
}

export function typeAlias(c: Checker, s: ast.TypeAliasStmt): Type {
  let ty = c.typeOf(s.type);
  if (ty.k === 'schema') ty = schemaRef(ty.schema, false);
  if (RESERVED_TYPE_NAMES.has(s.name)) c.typeError(`type alias '${s.name}' cannot be the same as the built-in types`, s.span);
  c.insert(s.name, { ty, span: s.span, kind: 'alias' });
  return ty;
}

/** The type a target path (`a.b[0].c`) refers to, checked step by step as a read would be. */
function targetType(c: Checker, t: ast.Target): Type {
  let ty = c.resolveName(t.name, t.span);
  for (const step of t.path) {
    if (step.kind === 'index') {
      // The index itself is read, not assigned.
      const lValue = c.lValue;
      c.lValue = false;
      ty = indexedType(c, ty, step.index, t.span);
      c.lValue = lValue;
      continue;
    }
    if (c.lValue && ty.k === 'schema') {
      const schema = ty.schema;
      if (!schema.attrs.has(step.name) && !hasAttr(schema, step.name) && !schema.isMixin && !schema.indexSignature) {
        c.compileError(`Cannot add member '${step.name}' to schema '${schema.name}'`, t.span);
      }
    }
    ty = c.loadAttr(ty, step.name, t.span);
  }
  return ty;
}

function hasAttr(s: NonNullable<Checker['schema']>, name: string): boolean {
  for (let cur: typeof s | undefined = s; cur; cur = cur.base) if (cur.attrs.has(name)) return true;
  return false;
}

function assignType(c: Checker, s: ast.AssignStmt): Type {
  c.localVars = [];
  let value: Type = ANY;
  for (const target of s.targets) {
    if (target.path.length === 0) {
      c.lValue = true;
      const expected = c.resolveName(target.name, target.span);
      c.lValue = false;
      value = c.withContext({ name: target.name, ty: expected, span: target.span }, () => exprType(c, s.value));
      c.mustAssign(value, expected, target.span);
      if (s.typeAnnotation) annotatedType(c, target, s.typeAnnotation, value);
      // A function declared by its signature (declareVariable) takes the inferred return type too.
      else if (!isAny(value) && (isAny(expected) || s.value.kind === 'LambdaExpr')) {
        c.setType(target.name, value, target.span);
        if (c.schema) c.schemaAttrTypes.set(target.name, value);
      }
    } else {
      c.lookupType(target.name, target.span);
      c.lValue = true;
      const expected = targetType(c, target);
      c.lValue = false;
      value = exprType(c, s.value);
      c.mustAssign(value, expected, target.span);
    }
  }
  return value;
}

/**
 * An annotation is read again where its assignment stands (a name in it may have a type by
 * now): the variable takes it if it had none, and the value must fit.
 */
function annotatedType(c: Checker, target: ast.Target, annotation: ast.Type, value: Type): void {
  const declared = c.typeOf(annotation);
  const obj = c.scope.elems.get(target.name);
  let ty = declared;
  if (obj && !isAny(obj.ty)) {
    if (!c.isUpperBound(declared, obj.ty)) c.typeError(`can not change the type of '${target.name}' to ${tyStr(declared)}`, target.span);
    ty = obj.ty;
  }
  if (obj) obj.ty = ty;
  c.mustAssign(value, ty, target.span);
}

const AUG_OPS: Record<ast.AugOp, ast.BinOp> = {
  '+=': '+', '-=': '-', '*=': '*', '/=': '/', '//=': '//', '%=': '%', '**=': '**',
  '<<=': '<<', '>>=': '>>', '&=': '&', '|=': '|', '^=': '^',
};

function augAssignType(c: Checker, s: ast.AugAssignStmt): Type {
  c.lValue = false;
  const left = targetType(c, s.target);
  const right = exprType(c, s.value);
  const result = binaryType(c, left, right, AUG_OPS[s.op], s.target.span);
  c.lValue = true;
  const expected = targetType(c, s.target);
  c.lValue = false;
  c.mustAssign(result, expected, s.target.span);
  return result;
}

function unificationType(c: Checker, s: ast.UnificationStmt): Type {
  if (s.target.path.length > 0) c.compileError('unification identifier can not be selected', s.target.span);
  c.lValue = true;
  const expected = c.resolveName(s.target.name, s.target.span);
  c.lValue = false;
  const ty = c.withContext({ name: s.target.name, ty: expected, span: s.value.span }, () => exprType(c, s.value));
  c.mustAssign(ty, expected, s.target.span);
  if (!isAny(ty) && isAny(expected)) c.setType(s.target.name, ty, s.target.span);
  return expected;
}

// ---------------------------------------------------------------- module-level declarations

/**
 * Declares the module's variables before its statements are checked: an annotated variable
 * has its annotation's type everywhere (a second, different annotation is a TypeError), an
 * unannotated one starts as `any` and takes the type of its first assigned value.
 */
export function declareGlobals(c: Checker, body: readonly ast.Stmt[]): void {
  for (const s of body) {
    if (s.kind === 'TypeAliasStmt') typeAlias(c, s);
  }
  const visit = (s: ast.Stmt): void => {
    if (s.kind === 'IfStmt') {
      s.body.forEach(visit);
      s.orelse.forEach(visit);
    } else if (s.kind === 'AssignStmt') {
      for (const t of s.targets) declareVariable(c, t, s.typeAnnotation, s.value);
    } else if (s.kind === 'UnificationStmt') {
      // The variable has the schema's type, whatever was assigned to it before.
      const existing = c.scope.elems.get(s.target.name);
      c.insert(s.target.name, { ty: exprType(c, s.value.name), span: existing?.span ?? s.target.span, kind: 'variable' });
    }
  };
  body.forEach(visit);
}

function lambdaSignature(c: Checker, e: ast.LambdaExpr): Type {
  const params = e.params.map((p) => ({ name: p.name, ty: c.typeOf(p.type), hasDefault: p.default !== undefined, span: p.span }));
  return func(params, ANY);
}

function declareVariable(c: Checker, t: ast.Target, annotation: ast.Type | undefined, value: ast.Expr): void {
  const existing = c.scope.elems.get(t.name);
  if (existing && existing.kind !== 'variable') return;
  // A redefinition of an immutable name is reported as the ImmutableError (first, as the
  // reference does), not as the type change it also is: the name keeps its first type.
  if (existing && c.immutable.has(t)) return;
  let ty: Type = existing?.ty ?? ANY;
  // A function's parameters are known before its body is checked, so a recursive call's
  // arguments are checked (`f = lambda n: int {... f(n - 1.5)}` is a TypeError); what it returns
  // is not known there yet, as in the reference.
  if (!existing && !annotation && t.path.length === 0 && value.kind === 'LambdaExpr') ty = lambdaSignature(c, value);
  if (annotation) {
    ty = c.typeOf(annotation);
    if (existing && !c.isUpperBound(existing.ty, ty)) {
      c.report('E2G22', `can not change the type of '${t.name}'`, t.span, existing.span ? [{ message: `expect ${tyStr(existing.ty)}`, span: existing.span }] : undefined);
    }
  }
  c.insert(t.name, { ty, span: existing?.span ?? t.span, kind: 'variable' });
}
