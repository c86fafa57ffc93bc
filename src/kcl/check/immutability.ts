/**
 * Module-level variables are immutable: a second assignment (or `+=`) of an exported name is an
 * ImmutableError, which the reference prints under code E1001. A unification statement
 * (`a: S {...}`) is never one: repeated unifications merge (merge-declarations.ts), and one after
 * a plain assignment is checked as a type. Names starting with `_` are mutable.
 */
import type * as ast from '../ast.js';
import type { Checker } from './checker.js';

export function checkImmutability(c: Checker, body: readonly ast.Stmt[]): void {
  const firstAssign = new Map<string, ast.Node>();
  const visit = (s: ast.Stmt): void => {
    if (s.kind === 'IfStmt') {
      s.body.forEach(visit);
      s.orelse.forEach(visit);
      return;
    }
    // An import binds its name immutably too (`import lib` then `lib = 1` is an ImmutableError).
    if (s.kind === 'ImportStmt' && !s.name.startsWith('_') && !firstAssign.has(s.name)) firstAssign.set(s.name, s);
    let targets: ast.Target[] = [];
    let aug = false;
    if (s.kind === 'AssignStmt') targets = s.targets;
    else if (s.kind === 'UnificationStmt') targets = [s.target];
    else if (s.kind === 'AugAssignStmt') {
      targets = [s.target];
      aug = true;
    }
    for (const t of targets) {
      if (t.name.startsWith('_')) continue;
      const first = firstAssign.get(t.name);
      if (first && s.kind === 'UnificationStmt') continue;
      if (first) {
        const message = aug
          ? `Immutable variable '${t.name}' is modified during compiling`
          : `Can not change the value of '${t.name}', because it was declared immutable`;
        const related = [{ message: `The variable '${t.name}' is declared here; rename it '_${t.name}' to make it mutable`, span: first.span }];
        c.report('E1001', message, t.span, related, 'ImmutableError');
      } else {
        firstAssign.set(t.name, t);
      }
    }
  };
  body.forEach(visit);
}
