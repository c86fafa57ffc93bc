/**
 * The little static typing the reference's compiler does that decides an error's code: a type
 * error between values whose types are known from the source (literals, and globals assigned
 * once from literals) is a compile-time TypeError (E2G22) there, while the same mistake on
 * values only known at run time (options, function results) is an EvaluationError (E3M38).
 * We evaluate both the same way and pick the code the reference would report.
 */
import type * as ast from '../ast.js';
import type { KclError } from '../diagnostics.js';
import { KclError as KclErrorClass } from '../diagnostics.js';

export type StaticKind = 'int' | 'float' | 'str' | 'bool' | 'none' | 'list' | 'dict' | 'unit';

/** The kind a name is known to have, or undefined. */
export type KindLookup = (name: string) => StaticKind | undefined;

/** The kind a declared type guarantees (None aside), or undefined. */
export function kindOfType(t: ast.Type): StaticKind | undefined {
  if (t.kind === 'BasicType') return t.name;
  if (t.kind === 'ListType') return 'list';
  if (t.kind === 'DictType') return 'dict';
  return undefined;
}

export function staticKind(e: ast.Expr, globals: KindLookup): StaticKind | undefined {
  switch (e.kind) {
    case 'NumberLit':
      return e.suffix ? 'unit' : e.isFloat ? 'float' : 'int';
    case 'StringLit':
    case 'JoinedString':
      return 'str';
    case 'NameConstantLit':
      return e.value === 'None' ? 'none' : e.value === 'Undefined' ? undefined : 'bool';
    case 'ListExpr':
    case 'ListComp':
      return 'list';
    case 'ConfigExpr':
    case 'DictComp':
      return 'dict';
    case 'ParenExpr':
      return staticKind(e.expr, globals);
    case 'UnaryExpr': {
      if (e.op === 'not') return 'bool';
      const k = staticKind(e.operand, globals);
      return k === 'int' || k === 'float' ? k : undefined;
    }
    case 'Identifier':
      return globals(e.name);
    default:
      return undefined;
  }
}

const NUMERIC = new Set<StaticKind>(['int', 'float']);

/** Whether `l op r` is defined for operands of these kinds (the reference's checker rules). */
export function binaryDefined(op: string, l: StaticKind, r: StaticKind): boolean {
  // Number-multiplier literals (`1Gi`) only convert (int(), float()); no operator takes them.
  if ((l === 'unit' || r === 'unit') && op !== 'and' && op !== 'or') return false;
  const num = NUMERIC.has(l) && NUMERIC.has(r);
  switch (op) {
    case '+':
      return num || (l === r && (l === 'str' || l === 'list'));
    case '*':
      return num || ((l === 'str' || l === 'list') && r === 'int') || (l === 'int' && (r === 'str' || r === 'list'));
    case '-':
    case '/':
    case '//':
    case '%':
    case '**':
      return num;
    case '|':
      return (l === 'int' && r === 'int') || (l === r && (l === 'dict' || l === 'list')) || l === 'none' || r === 'none';
    case '&':
    case '^':
    case '<<':
    case '>>':
      return l === 'int' && r === 'int';
    default:
      return true;
  }
}

/** Whether comparison `op` is defined between operands of these kinds. */
export function compareDefined(op: string, l: StaticKind, r: StaticKind): boolean {
  if (op === 'in' || op === 'not in' || op === 'is' || op === 'is not') return true;
  if (l === 'unit' || r === 'unit') return false;
  if (op === '==' || op === '!=') return true;
  const orderable = (k: StaticKind): boolean => NUMERIC.has(k) || k === 'bool';
  return orderable(l) && orderable(r);
}

/** Kinds of top-level names assigned exactly once, without a path, from a literal. */
export function globalKinds(body: readonly ast.Stmt[]): Map<string, StaticKind> {
  const counts = new Map<string, number>();
  const count = (s: ast.Stmt): void => {
    if (s.kind === 'AssignStmt') for (const t of s.targets) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    else if (s.kind === 'AugAssignStmt' || s.kind === 'UnificationStmt') counts.set(s.target.name, 2);
    else if (s.kind === 'IfStmt') {
      s.body.forEach(count);
      s.orelse.forEach(count);
    }
  };
  body.forEach(count);
  const kinds = new Map<string, StaticKind>();
  for (const s of body) {
    if (s.kind !== 'AssignStmt' || s.typeAnnotation) continue;
    const k = staticKind(s.value, (n) => kinds.get(n));
    if (!k) continue;
    for (const t of s.targets) if (t.path.length === 0 && counts.get(t.name) === 1) kinds.set(t.name, k);
  }
  return kinds;
}

/** Re-codes a run-time TypeError as the reference's EvaluationError. */
export function asRuntimeError(e: unknown): unknown {
  if (e instanceof KclErrorClass && e.diagnostic.code === 'E2G22') {
    return new KclErrorClass({ ...e.diagnostic, code: 'E3M38' }) as KclError;
  }
  return e;
}

/**
 * Whether the reference's checker knows `e` to be a schema instance: a schema expression, a
 * union with one on the left, or a name `schemaName` says was declared or only ever assigned as
 * one. `len()` of such a value is a compile-time TypeError there (at run time it counts the
 * attributes). The checker also infers element types of lists and comprehension variables; we
 * do not (docs/kcl-language.md).
 */
export function isStaticSchema(e: ast.Expr, schemaName: (name: string) => boolean): boolean {
  switch (e.kind) {
    case 'SchemaExpr':
      return true;
    case 'ParenExpr':
      return isStaticSchema(e.expr, schemaName);
    case 'BinaryExpr':
      return e.op === '|' && isStaticSchema(e.left, schemaName);
    case 'Identifier':
      return schemaName(e.name);
    default:
      return false;
  }
}

/** Whether a declared type is a schema (or a union holding one), for isStaticSchema. */
export function typeHasSchema(t: ast.Type, isSchema: (name: string) => boolean): boolean {
  if (t.kind === 'NamedType') return isSchema(t.name);
  if (t.kind === 'UnionType') return t.types.some((m) => typeHasSchema(m, isSchema));
  return false;
}

/** Top-level names every assignment of which makes a schema instance (see isStaticSchema). */
export function globalSchemaNames(body: readonly ast.Stmt[], isSchema: (name: string) => boolean): Set<string> {
  const verdict = new Map<string, boolean>();
  const note = (name: string, schema: boolean): void => {
    verdict.set(name, (verdict.get(name) ?? true) && schema);
  };
  const visit = (s: ast.Stmt): void => {
    if (s.kind === 'AssignStmt') {
      const schema =
        (s.typeAnnotation !== undefined && typeHasSchema(s.typeAnnotation, isSchema)) ||
        (s.typeAnnotation === undefined && s.value.kind === 'SchemaExpr');
      for (const t of s.targets) note(t.name, schema && t.path.length === 0);
    } else if (s.kind === 'UnificationStmt') {
      note(s.target.name, true);
    } else if (s.kind === 'AugAssignStmt') {
      note(s.target.name, false);
    } else if (s.kind === 'IfStmt') {
      s.body.forEach(visit);
      s.orelse.forEach(visit);
    }
  };
  body.forEach(visit);
  return new Set([...verdict].filter(([, schema]) => schema).map(([name]) => name));
}
