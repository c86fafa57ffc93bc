/**
 * Statements and blocks. A block is the run of logical lines indented deeper than the line
 * holding its header; the module, `if` bodies, schema bodies, `check:` blocks and lambda
 * bodies in braces all use the same loop, which reports a bad line and resynchronises at the
 * next one, so one parse reports every syntax error it can.
 */
import type {
  AssertStmt, AugAssignStmt, AugOp, Expr, IfStmt, ImportStmt, Stmt, Target, TargetStep, TypeAliasStmt,
} from '../ast.js';
import { describeToken, isKeyword, isOp, KEYWORDS, type Token } from '../lexer/tokens.js';
import { ATOM_START, parseExpr, parseOrTest, parsePostfix } from './expressions.js';
import { NestingTooDeep, TooManyErrors, type Parser } from './parser.js';
import { parseDecorators, parseRule, parseSchema } from './schema.js';
import { parseType } from './types.js';

/** Operators that can begin an expression statement (`@` begins a decorator). */
const EXPR_START_OPS: ReadonlySet<string> = new Set(['(', '[', '{', '+', '-', '~', '@']);

const AUG_OPS: ReadonlySet<string> = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=', '<<=', '>>=', '&=', '|=', '^=']);

/** The module: statements at indentation 0 until the end of input. */
export function parseModuleBody(p: Parser): Stmt[] {
  const body: Stmt[] = [];
  p.indentStack.push(0);
  try {
    while (!p.atEof) {
      const t = p.tok;
      // The reference ignores the indentation of the very first line.
      if (t.nl && t.ind > 0 && !(p.pos === 0 && t.line === 1)) p.errorAtToken("unexpected token 'indent'", t);
      parseLine(p, () => body.push(...parseStatement(p)));
    }
  } catch (e) {
    // Past the cap on errors the rest is not parsed; the statements so far stand.
    if (!(e instanceof TooManyErrors)) throw e;
  }
  p.indentStack.pop();
  return body;
}

/**
 * Parses one statement (several for a line with semicolons) with recovery: a nesting overflow
 * or a parse that consumed nothing skips the rest of the line.
 */
export function parseLine(p: Parser, parseOne: () => void): void {
  const depth = p.nesting;
  const chain = p.chainLength;
  const before = p.pos;
  p.allowLineBreak();
  try {
    parseOne();
  } catch (e) {
    if (!(e instanceof NestingTooDeep)) throw e;
    p.resetDepth(depth, chain);
    p.skipLine();
  }
  if (p.pos === before) {
    p.errorAtCurrent(`unexpected token '${p.tok.value}'`);
    p.skipLine();
  }
  while (p.atOp(';')) {
    p.errorAtCurrent("the semicolon ';' here is unnecessary, please remove it");
    p.next();
  }
}

/**
 * The body after a header's `:` — a statement on the same line, or an indented block deeper
 * than the header's line. A schema body may also be empty, as in the reference.
 */
export function parseSuite(p: Parser, header: Token, parseOne: () => void, allowEmpty = false): void {
  if (!p.tok.nl) {
    parseLine(p, parseOne);
    return;
  }
  const first = p.tok;
  if (p.atEof && !allowEmpty) {
    p.errorMissingBlockAtEnd();
    return;
  }
  if (p.atEof || p.compareIndent(first, header.ind, header.indTab1) <= 0) {
    if (allowEmpty) return;
    const got = p.atEof ? 'eof' : first.ind < header.ind ? 'dedent' : describeForIndent(first);
    p.errorAtToken(`expected one of ["indent"] got ${got}`, first);
    return;
  }
  p.indentStack.push(first.ind);
  try {
    for (;;) {
      parseLine(p, parseOne);
      const t = p.tok;
      if (t.kind === 'eof') return;
      if (!t.nl) continue; // several statements on one line
      const cmp = p.compareIndent(t, first.ind, first.indTab1);
      if (cmp === 0) continue;
      if (cmp > 0) {
        p.errorAtToken("unexpected token 'indent'", t);
        continue;
      }
      p.checkDedent(t);
      return;
    }
  } finally {
    p.indentStack.pop();
  }
}

function describeForIndent(t: Token): string {
  return t.kind === 'name' ? 'identifier' : t.kind === 'op' ? t.value : 'literal';
}

/** `{ statements }` of a lambda: newlines separate statements again, even inside brackets. */
export function parseBraceBody(p: Parser): Stmt[] {
  p.next(); // `{`
  const body: Stmt[] = [];
  const savedStack = p.indentStack;
  try {
    while (!p.atOp('}') && !p.atEof) {
      // Body lines may sit at any depth; a nested block dedents back to the current line's.
      p.indentStack = [p.tok.ind];
      parseLine(p, () => body.push(...parseStatement(p)));
    }
  } finally {
    p.indentStack = savedStack;
  }
  p.expectOp('}');
  return body;
}

/** `inSchemaBody` only changes how a stray token is worded, as the reference words it. */
export function parseStatement(p: Parser, inSchemaBody = false): Stmt[] {
  p.enter();
  try {
    return parseStatementUnguarded(p, inSchemaBody);
  } finally {
    p.leave();
  }
}

function parseStatementUnguarded(p: Parser, inSchemaBody: boolean): Stmt[] {
  const t = p.tok;
  // A statement may start with a sign (`-2`) only directly in a schema body, as in the reference.
  if (t.kind === 'op' && (!EXPR_START_OPS.has(t.value) || (!inSchemaBody && (t.value === '-' || t.value === '+')))) {
    // The reference calls a stray token "unexpected", except inside a schema body, where
    // (but for `=`) it reports a missing expression.
    if (t.value === '=' || !inSchemaBody) p.errorAtToken(`unexpected token '${t.value}'`, t);
    else p.errorAtToken(`expected one of [${ATOM_START.map((s) => `"${s}"`).join(', ')}] got ${t.value}`, t);
    p.skipLine();
    return [];
  }
  if (isOp(t, '@')) {
    const decorators = parseDecorators(p);
    if (p.atKw('rule')) return [parseRule(p, decorators)];
    if (p.atKw('schema') || p.atKw('mixin') || p.atKw('protocol')) return [parseSchema(p, decorators)];
    p.errorExpected(['schema', 'rule']);
    return [];
  }
  if (t.kind === 'name' && !t.dollar) {
    const nextIsName = p.peek().kind === 'name' && !p.peek().nl;
    switch (t.value) {
      case 'schema': case 'mixin': case 'protocol':
        if (nextIsName) return [parseSchema(p, [])];
        break;
      case 'rule':
        if (nextIsName) return [parseRule(p, [])];
        break;
      case 'type':
        if (nextIsName) return [parseTypeAlias(p)];
        break;
      case 'import': return [parseImport(p)];
      case 'assert': return [parseAssert(p)];
      case 'if': return [parseIf(p)];
      default: break;
    }
  }
  return [parseSimpleStatement(p)];
}

function parseTypeAlias(p: Parser): TypeAliasStmt {
  const first = p.next();
  const name = p.next();
  p.expectOp('=');
  const type = parseType(p);
  return { kind: 'TypeAliasStmt', name: name.value, type, span: p.spanFrom(first) };
}

function parseImport(p: Parser): ImportStmt {
  const first = p.next();
  const segments: string[] = [];
  let leadingDots = '';
  while (p.sameLine && (p.atOp('.') || p.atOp('...'))) leadingDots += p.next().value;
  do {
    const seg = p.tok;
    if (seg.kind !== 'name' || seg.nl) { p.errorExpected(['identifier']); break; }
    p.next();
    segments.push(seg.value);
  } while (p.sameLine && p.eatOp('.'));
  let asname: string | undefined;
  if (p.sameLine && p.eatKw('as')) {
    const a = p.tok;
    if (a.kind === 'name' && !a.nl) { p.next(); asname = a.value; } else p.errorExpected(['identifier']);
  }
  const path = leadingDots + segments.join('.');
  const name = asname ?? segments[segments.length - 1] ?? '';
  return { kind: 'ImportStmt', path, ...(asname ? { asname } : {}), name, span: p.spanFrom(first) };
}

/**
 * `assert test [if guard][, msg]` — also the shape of a `check:` line, where the message is a
 * primary expression only.
 */
export function parseAssertParts(p: Parser, inCheck = false): { test: Expr; ifCond?: Expr; msg?: Expr } {
  const test = parseOrTest(p);
  const ifCond = p.sameLine && p.eatKw('if') ? parseOrTest(p) : undefined;
  const msg = p.sameLine && p.eatOp(',') ? (inCheck ? parsePostfix(p) : parseExpr(p)) : undefined;
  return { test, ...(ifCond ? { ifCond } : {}), ...(msg ? { msg } : {}) };
}

function parseAssert(p: Parser): AssertStmt {
  const first = p.next();
  const parts = parseAssertParts(p);
  return { kind: 'AssertStmt', ...parts, span: p.spanFrom(first) };
}

function parseIf(p: Parser): IfStmt {
  p.enter();
  try {
    return parseIfUnguarded(p);
  } finally {
    p.leave();
  }
}

function parseIfUnguarded(p: Parser): IfStmt {
  const first = p.next(); // `if` or `elif`
  const cond = parseExpr(p);
  const body: Stmt[] = [];
  if (p.expectOp(':')) parseSuite(p, first, () => body.push(...parseStatement(p)));
  const orelse: Stmt[] = [];
  const t = p.tok;
  const aligned = t.nl && t.ind === first.ind;
  if (aligned && isKeyword(t, 'elif')) {
    orelse.push(parseIf(p));
  } else if (aligned && isKeyword(t, 'else')) {
    const elseTok = p.next();
    if (p.expectOp(':')) parseSuite(p, elseTok, () => orelse.push(...parseStatement(p)));
  }
  return { kind: 'IfStmt', cond, body, orelse, span: p.spanFrom(first) };
}

/** Assignment (`a = b = 1`, `a: T = 1`), augmented assignment, unification or expression. */
function parseSimpleStatement(p: Parser): Stmt {
  const first = p.tok;
  const expr = parseExpr(p);
  if (p.atOp('=') && p.sameLine) {
    const targets: Target[] = [toTarget(p, expr)];
    p.next();
    let value = parseExpr(p);
    while (p.atOp('=') && p.sameLine) {
      targets.push(toTarget(p, value));
      p.next();
      value = parseExpr(p);
    }
    return { kind: 'AssignStmt', targets, value, span: p.spanFrom(first) };
  }
  const t = p.tok;
  if (t.kind === 'op' && AUG_OPS.has(t.value) && p.sameLine) {
    p.next();
    const value = parseExpr(p);
    const stmt: AugAssignStmt = { kind: 'AugAssignStmt', target: toTarget(p, expr), op: t.value as AugOp, value, span: p.spanFrom(first) };
    return stmt;
  }
  if (p.atOp(':') && p.sameLine && isTargetExpr(expr)) {
    p.next();
    const target = toTarget(p, expr);
    const afterColon = p.pos;
    if (looksLikeSchemaExpr(p)) {
      const value = parsePostfix(p);
      if (value.kind === 'SchemaExpr' && !(p.atOp('=') && p.sameLine)) {
        return { kind: 'UnificationStmt', target, value, span: p.spanFrom(first) };
      }
      p.pos = afterColon;
    }
    const typeAnnotation = parseType(p);
    if (p.tok.nl && !p.atEof && !p.atOp('=')) {
      // The reference reads on past the line break here and names the next line's first token.
      const next = p.tok;
      const deeper = next.ind > (p.indentStack[p.indentStack.length - 1] ?? 0);
      p.errorAtToken(`expected one of ["="] got ${deeper ? 'indent' : describeToken(next)}`, next);
      return { kind: 'AssignStmt', targets: [target], value: p.missing(), typeAnnotation, span: p.spanFrom(first) };
    }
    if (!p.expectOp('=')) return { kind: 'AssignStmt', targets: [target], value: p.missing(), typeAnnotation, span: p.spanFrom(first) };
    const value = parseExpr(p);
    return { kind: 'AssignStmt', targets: [target], value, typeAnnotation, span: p.spanFrom(first) };
  }
  return { kind: 'ExprStmt', exprs: [expr], span: p.spanFrom(first) };
}

/** `Name {`, `pkg.Name {` or `Name(` ahead: the value of a unification `a: S {...}`. */
export function looksLikeSchemaExpr(p: Parser): boolean {
  if (p.atNewlineOperand()) return false;
  let i = 0;
  const nameOk = (t: Token): boolean => t.kind === 'name' && (t.dollar === true || !KEYWORDS.has(t.value));
  if (!nameOk(p.peek(0))) return false;
  i = 1;
  while (isOp(p.peek(i), '.') && nameOk(p.peek(i + 1))) i += 2;
  const t = p.peek(i);
  return !t.nl && (isOp(t, '{') || isOp(t, '('));
}

/** The reference's name for an expression kind in messages: `CompareExpr` is `CompareExpression`. */
function referenceKindName(e: Expr): string {
  return `${e.kind.replace(/Expr$/, '')}Expression`;
}

function isTargetExpr(e: Expr): boolean {
  if (e.kind === 'Identifier') return true;
  if (e.kind === 'SelectorExpr') return !e.hasQuestion && isTargetExpr(e.value);
  if (e.kind === 'SubscriptExpr') return !e.hasQuestion && !e.isSlice && isTargetExpr(e.value);
  return false;
}

/** `a`, `a.b`, `a[0].b` as an assignment target; anything else is reported. */
function toTarget(p: Parser, e: Expr): Target {
  const path: TargetStep[] = [];
  let cur = e;
  for (;;) {
    if (cur.kind === 'SelectorExpr' && !cur.hasQuestion) {
      path.unshift({ kind: 'attr', name: cur.attr, span: cur.span });
      cur = cur.value;
    } else if (cur.kind === 'SubscriptExpr' && !cur.hasQuestion && !cur.isSlice && cur.index) {
      path.unshift({ kind: 'index', index: cur.index, span: cur.span });
      cur = cur.value;
    } else {
      break;
    }
  }
  if (cur.kind !== 'Identifier') {
    if (cur.kind !== 'MissingExpr') p.error(`'${referenceKindName(e)}' is an illegal expression for assignment`, e.span);
    return { kind: 'Target', name: '', path: [], span: e.span };
  }
  return { kind: 'Target', name: cur.name, path, span: e.span };
}
