/**
 * Arguments against a signature (resolver/arg.rs): too many positional arguments, unknown or
 * repeated keywords and missing required parameters are CompileErrors (E2L23); an argument of
 * the wrong type is a TypeError (E2G22). A variadic function (`print`, `max`, `"".format`) takes
 * any extra positional argument and any keyword.
 */
import type * as ast from '../ast.js';
import type { Checker } from './checker.js';
import { dottedName, exprType } from './expressions.js';
import type { FuncType, Type } from './types.js';

function calleeName(e: ast.Expr): string {
  if (e.kind === 'ParenExpr') return calleeName(e.expr);
  const name = dottedName(e);
  return name === undefined ? 'anonymous function' : `"${name}"`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Checks a call's arguments; `fn` undefined means the callee's type is unknown (`any`). */
export function checkArguments(c: Checker, callee: ast.Expr, args: readonly ast.Expr[], keywords: readonly ast.Keyword[], fn: FuncType | undefined): void {
  const name = calleeName(callee);
  const params = fn?.params ?? [];
  // Each positional argument is checked as soon as it is typed, as the reference reports.
  for (let i = 0; i < args.length; i++) {
    const ty = exprType(c, args[i]!);
    if (!fn) continue;
    const param = params[i];
    if (param) c.mustAssign(ty, param.ty, args[i]!.span);
    else if (!fn.variadic) {
      c.compileError(`${name} takes ${plural(params.length, 'positional argument')} but ${args.length} were given`, args[i]!.span);
      return;
    }
  }
  const kwTypes: [string, Type][] = [];
  const seen = new Set<string>();
  for (const kw of keywords) {
    if (seen.has(kw.name)) c.compileError(`${name} has duplicated keyword argument ${kw.name}`, kw.span);
    seen.add(kw.name);
    kwTypes.push([kw.name, exprType(c, kw.value)]);
  }
  if (!fn) return;
  kwTypes.forEach(([kwName, ty], i) => {
    const param = params.find((p) => p.name === kwName);
    if (param) c.mustAssign(ty, param.ty, keywords[i]!.span);
    else if (!fn.variadic && !params.some((p) => p.name === '*')) {
      c.compileError(`${name} got an unexpected keyword argument '${kwName}'`, keywords[i]!.span);
    }
  });
  const required = params.filter((p) => !p.hasDefault);
  const missing = required.some((p) => params.indexOf(p) >= args.length && !seen.has(p.name));
  if (missing) c.compileError(`expected ${plural(required.length, 'positional argument')}, found ${args.length}`, callee.span);
}
