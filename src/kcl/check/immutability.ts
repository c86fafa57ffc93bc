/**
 * Module-level names are immutable: a second assignment (or `+=`) of an exported name, or an
 * assignment to the name of a schema, rule, type alias or import, is an ImmutableError, which the
 * reference prints under code E1001. A unification statement (`a: S {...}`) is never one:
 * repeated unifications merge (merge-declarations.ts), and one after a plain assignment is
 * checked as a type. Names starting with `_` are mutable. The errors are found and reported up
 * front, before any type error of the module, as the reference reports them.
 */
import type * as ast from '../ast.js';
import type { Diagnostic } from '../diagnostics.js';

export function immutabilityErrors(body: readonly ast.Stmt[]): Map<ast.Target, Diagnostic> {
  const errors = new Map<ast.Target, Diagnostic>();
  const firstDeclaration = new Map<string, ast.Node>();
  const declare = (name: string, node: ast.Node): void => {
    if (!name.startsWith('_') && !firstDeclaration.has(name)) firstDeclaration.set(name, node);
  };
  // A schema, rule, type alias or import name is declared before any assignment, wherever it
  // is written: an assignment of the same name earlier in the file is the ImmutableError.
  for (const s of body) if (isDeclaration(s)) declare(s.name, s);
  const visit = (s: ast.Stmt): void => {
    if (s.kind === 'IfStmt') {
      s.body.forEach(visit);
      s.orelse.forEach(visit);
      return;
    }
    if (isDeclaration(s)) return;
    let targets: ast.Target[] = [];
    if (s.kind === 'AssignStmt') targets = s.targets;
    else if (s.kind === 'UnificationStmt' || s.kind === 'AugAssignStmt') targets = [s.target];
    for (const t of targets) {
      if (t.name.startsWith('_')) continue;
      const first = firstDeclaration.get(t.name);
      if (!first) {
        declare(t.name, t);
        continue;
      }
      if (s.kind === 'UnificationStmt') continue;
      const message = s.kind === 'AugAssignStmt'
        ? `Immutable variable '${t.name}' is modified during compiling`
        : `Can not change the value of '${t.name}', because it was declared immutable`;
      const related = [{ message: `The variable '${t.name}' is declared here; rename it '_${t.name}' to make it mutable`, span: first.span }];
      errors.set(t, { code: 'E1001', title: 'ImmutableError', message, span: t.span, related });
    }
  };
  body.forEach(visit);
  return errors;
}

/** A statement that declares an immutable name: a schema, rule, type alias or import. */
function isDeclaration(s: ast.Stmt): s is ast.ImportStmt | ast.SchemaStmt | ast.RuleStmt | ast.TypeAliasStmt {
  return s.kind === 'ImportStmt' || s.kind === 'SchemaStmt' || s.kind === 'RuleStmt' || s.kind === 'TypeAliasStmt';
}
