/**
 * `schema`, `protocol` and `rule` statements: headers (arguments, parent, `for` host),
 * decorators, docstrings, attributes, index signatures, mixins and `check:` blocks.
 */
import type {
  CheckExpr, Decorator, Expr, Identifier, Parameter, RuleStmt, SchemaAttr, SchemaIndexSignature,
  SchemaStmt, SelectorExpr, Stmt, Type, UnificationStmt,
} from '../ast.js';
import { describeToken, isKeyword, isOp, type Token } from '../lexer/tokens.js';
import { decodeString } from '../lexer/strings.js';
import { bracketed, parseExpr, parseParameter, parsePostfix } from './expressions.js';
import type { Parser } from './parser.js';
import { looksLikeSchemaExpr, parseAssertParts, parseLine, parseStatement, parseSuite } from './statements.js';
import { parseType } from './types.js';

/** `@name` or `@name(args)` lines before a schema, rule or attribute. */
export function parseDecorators(p: Parser): Decorator[] {
  const decorators: Decorator[] = [];
  while (p.atOp('@')) {
    const at = p.next();
    const nameTok = p.tok;
    if (nameTok.kind !== 'name') {
      p.errorExpected(['identifier']);
      break;
    }
    const expr = parsePostfix(p);
    const args = expr.kind === 'CallExpr' ? expr : undefined;
    decorators.push({ kind: 'Decorator', name: nameTok.value, args, span: p.spanFrom(at) });
    if (p.sameLine && !p.atEof) {
      p.errorExpected(['newline']);
      p.skipLine();
    }
    p.allowLineBreak();
  }
  return decorators;
}

/**
 * A rule's parent or a `for` host: like parseDottedName, but, as in the reference's parser, a
 * name constant (`None`, `True` ...) is no identifier there (a schema's parent may be one and
 * fails later, as an undefined name).
 */
function parseReferenceName(p: Parser): Identifier | SelectorExpr | undefined {
  if (p.tok.kind === 'name' && NAME_CONSTANTS.has(p.tok.value)) {
    p.errorAtToken('expected identifier', p.tok);
    p.next();
    return undefined;
  }
  return parseDottedName(p);
}

function parseDottedName(p: Parser): Identifier | SelectorExpr | undefined {
  const t = p.tok;
  if (t.kind !== 'name') {
    p.errorExpected(['identifier']);
    return undefined;
  }
  p.next();
  let e: Identifier | SelectorExpr = { kind: 'Identifier', name: t.value, span: p.tokenSpan(t) };
  while (p.atOp('.') && p.peek().kind === 'name') {
    p.next();
    e = { kind: 'SelectorExpr', value: e, attr: p.next().value, hasQuestion: false, span: p.spanFrom(t) };
  }
  return e;
}

/** Dotted names as the AST's Identifier for parents and hosts: the whole path is the name. */
function asIdentifier(e: Identifier | SelectorExpr): Identifier {
  const names: string[] = [];
  let cur: Expr = e;
  while (cur.kind === 'SelectorExpr') { names.unshift(cur.attr); cur = cur.value; }
  if (cur.kind === 'Identifier') names.unshift(cur.name);
  return { kind: 'Identifier', name: names.join('.'), span: e.span };
}

function parseBracketParams(p: Parser): Parameter[] {
  const params: Parameter[] = [];
  if (!p.atOp('[') || !p.sameLine) return params;
  p.next();
  bracketed(p, () => {
    while (!p.atOp(']') && !p.atEof) {
      const before = p.pos;
      params.push(parseParameter(p));
      if (!p.eatOp(',') || p.pos === before) break;
    }
  });
  p.expectOp(']');
  return params;
}

export function parseSchema(p: Parser, decorators: Decorator[]): SchemaStmt {
  const first = p.next(); // schema | mixin | protocol
  const nameTok = p.tok;
  let name = '';
  if (nameTok.kind === 'name') { p.next(); name = nameTok.value; } else p.errorExpected(['identifier']);
  const args = parseBracketParams(p);
  let parentName: Identifier | undefined;
  if (p.atOp('(') && p.sameLine) {
    p.next();
    const parent = bracketed(p, () => parseDottedName(p));
    if (parent) parentName = asIdentifier(parent);
    p.expectOp(')');
  }
  let forHostName: Identifier | undefined;
  if (p.sameLine && p.eatKw('for')) {
    const host = parseReferenceName(p);
    if (host) forHostName = asIdentifier(host);
  }
  const members: SchemaMembers = { body: [], mixins: [], checks: [] };
  if (p.expectOp(':')) parseSuite(p, first, () => parseSchemaMember(p, members), true);
  const stmt: SchemaStmt = {
    kind: 'SchemaStmt', name, args,
    ...(members.doc !== undefined ? { doc: members.doc } : {}),
    ...(parentName ? { parentName } : {}),
    ...(forHostName ? { forHostName } : {}),
    isMixin: isKeyword(first, 'mixin') || name.endsWith('Mixin'),
    isProtocol: isKeyword(first, 'protocol') || name.endsWith('Protocol'),
    mixins: members.mixins, decorators, body: members.body,
    ...(members.indexSignature ? { indexSignature: members.indexSignature } : {}),
    checks: members.checks, span: p.spanFrom(first),
  };
  return stmt;
}

interface SchemaMembers {
  doc?: string;
  body: (SchemaAttr | Stmt)[];
  mixins: Identifier[];
  checks: CheckExpr[];
  indexSignature?: SchemaIndexSignature;
}

function parseSchemaMember(p: Parser, m: SchemaMembers): void {
  const t = p.tok;
  if (t.kind === 'string' && m.body.length === 0 && m.doc === undefined && m.mixins.length === 0 && p.peek().nl) {
    p.next();
    m.doc = docText(p, t);
    return;
  }
  if (isKeyword(t, 'mixin') && isOp(p.peek(), '[')) {
    p.next();
    p.next();
    bracketed(p, () => {
      while (!p.atOp(']') && !p.atEof) {
        const before = p.pos;
        const name = parseDottedName(p);
        if (name) m.mixins.push(asIdentifier(name));
        if (!p.eatOp(',') || p.pos === before) break;
      }
    });
    p.expectOp(']');
    return;
  }
  if (t.kind === 'name' && !t.dollar && t.value === 'check' && isOp(p.peek(), ':')) {
    p.next();
    p.next();
    if (!p.tok.nl) {
      // Unlike `if`, the reference wants a `check:` block on its own lines.
      p.errorAtToken(`expected one of ["indent"] got ${describeToken(p.tok)}`, p.tok);
    }
    parseSuite(p, t, () => m.checks.push(...parseCheckLine(p)));
    return;
  }
  if (isOp(t, '[')) {
    const sig = parseIndexSignature(p);
    if (m.indexSignature) p.error('only one index signature is allowed in the schema', sig.span);
    m.indexSignature = sig;
    return;
  }
  if (isOp(t, '@')) {
    const decorators = parseDecorators(p);
    if (isAttributeStart(p, true)) m.body.push(parseAttribute(p, decorators));
    else p.errorExpected(['identifier']);
    return;
  }
  if (isAttributeStart(p)) {
    m.body.push(parseAttribute(p, []));
    return;
  }
  m.body.push(...parseStatement(p, true));
}

/** Keywords that parse as name tokens but cannot name an attribute. */
const NAME_CONSTANTS = new Set(['None', 'Undefined', 'True', 'False']);

/** Quantifier keywords: a statement starting with one is a quantifier expression. */
const QUANTIFIERS = new Set(['all', 'any', 'map', 'filter']);

/**
 * `name?:`, `name:` or `"name":` starts an attribute declaration inside a schema. Undecorated
 * `any:` (a quantifier keyword) is a quantifier expression, hence a syntax error, as in the
 * reference; `any?:`, `$any:` and a decorated `any:` are attributes.
 */
function isAttributeStart(p: Parser, decorated = false): boolean {
  const t = p.tok;
  if (t.kind !== 'name' && t.kind !== 'string') return false;
  const n = p.peek();
  if (n.nl) return false;
  if (isOp(n, ':')) return decorated || t.kind === 'string' || t.dollar || !QUANTIFIERS.has(t.value);
  return isOp(n, '?') && isOp(p.peek(2), ':');
}

function parseAttribute(p: Parser, decorators: Decorator[]): SchemaAttr | UnificationStmt {
  const first = p.next();
  const name = first.kind === 'string' ? docText(p, first) : first.value;
  if (first.kind === 'name' && NAME_CONSTANTS.has(first.value)) {
    p.errorAtToken("'NameConstantLitExpression' is an illegal expression for assignment", first);
  }
  const optional = p.eatOp('?');
  p.expectOp(':');
  // `name: S {...}` declares an attribute of schema S whose default is that instance, as a
  // unification statement does at the top level.
  if (!optional && first.kind === 'name' && looksLikeSchemaExpr(p)) {
    const at = p.pos;
    const value = parsePostfix(p);
    if (value.kind === 'SchemaExpr' && !(p.atOp('=') && p.sameLine)) {
      const target = { kind: 'Target' as const, name, path: [], span: p.tokenSpan(first) };
      return { kind: 'UnificationStmt', target, value, span: p.spanFrom(first) };
    }
    p.pos = at;
  }
  const type: Type = parseType(p);
  let op: SchemaAttr['op'];
  let value: Expr | undefined;
  if (p.sameLine && p.atOp('[') && isOp(p.peek(), ']')) {
    // The reference reads `T[]` after an attribute's type as `T` followed by an empty
    // subscript it ignores, which ends the declaration (no default may follow).
    p.next();
    p.next();
    if (p.sameLine && !p.atEof) p.errorAtToken(`expected one of ["identifier", "literal", "(", "[", "{"] got ${describeToken(p.tok)}`, p.tok);
  } else if (p.sameLine && (p.atOp('=') || p.atOp('|='))) {
    op = p.next().value as '=' | '|=';
    value = parseExpr(p);
  } else if (!optional) {
    value = literalTypeDefault(type);
    if (value) op = '=';
  }
  const span = p.spanFrom(first);
  const start = decorators[0]?.span ?? span;
  return {
    kind: 'SchemaAttr', name, type, optional, ...(op ? { op } : {}), ...(value ? { value } : {}),
    decorators, span: { ...span, line: start.line, col: start.col },
  };
}

/**
 * The default a required attribute gets from a literal type, as the reference's pre-processing
 * gives it (`a: "v"` is `a: "v" = "v"`): a bool, number (unit suffix kept) or string literal
 * written directly, not through a type alias, a union or `None`.
 */
function literalTypeDefault(type: Type): Expr | undefined {
  if (type.kind !== 'LiteralType') return undefined;
  const span = type.span;
  switch (type.valueKind) {
    case 'bool':
      return { kind: 'NameConstantLit', value: type.value ? 'True' : 'False', span };
    case 'str':
      return { kind: 'StringLit', value: type.value as string, raw: type.raw, span };
    case 'int':
    case 'float':
      return { kind: 'NumberLit', value: type.value as number, isFloat: type.valueKind === 'float', suffix: type.suffix, raw: type.raw, span };
    case 'none':
      return undefined;
  }
}

/** `[name: KeyT]: ValueT = default`, `[KeyT]: ValueT`, `[...KeyT]: ValueT`. */
function parseIndexSignature(p: Parser): SchemaIndexSignature {
  const first = p.next();
  let anyOther = false;
  let keyName: string | undefined;
  let keyType: Type = { kind: 'AnyType', span: p.tokenSpan(first) };
  bracketed(p, () => {
    anyOther = p.eatOp('...');
    if (p.tok.kind === 'name' && isOp(p.peek(), ':')) {
      keyName = p.next().value;
      p.next();
    }
    keyType = parseType(p);
  });
  p.expectOp(']');
  p.expectOp(':');
  const valueType = parseType(p);
  const value = p.sameLine && p.eatOp('=') ? parseExpr(p) : undefined;
  return {
    kind: 'SchemaIndexSignature', ...(keyName !== undefined ? { keyName } : {}), keyType, valueType, anyOther,
    ...(value ? { value } : {}), span: p.spanFrom(first),
  };
}

/**
 * One line of a `check:` block. Like the reference, the message after the comma is a primary
 * expression, and what follows it on the line is another condition (`a > 0, "x" + "y"` checks
 * `a > 0` with message "x", then `+"y"`).
 */
function parseCheckLine(p: Parser): CheckExpr[] {
  const out: CheckExpr[] = [];
  do {
    const first = p.tok;
    const before = p.pos;
    const parts = parseAssertParts(p, true);
    out.push({ kind: 'CheckExpr', ...parts, span: p.spanFrom(first) });
    if (p.pos === before) break;
  } while (p.sameLine && !p.atEof && !p.tok.nl);
  return out;
}

function docText(p: Parser, t: Token): string {
  const info = t.string!;
  return decodeString(p.source, info.contentStart, info.contentEnd, info.isRaw).pieces
    .map((piece) => piece.text ?? p.source.slice(piece.start, piece.end)).join('');
}

export function parseRule(p: Parser, decorators: Decorator[]): RuleStmt {
  const first = p.next();
  const nameTok = p.tok;
  let name = '';
  if (nameTok.kind === 'name') { p.next(); name = nameTok.value; } else p.errorExpected(['identifier']);
  const args = parseBracketParams(p);
  const parents: Identifier[] = [];
  if (p.atOp('(') && p.sameLine) {
    p.next();
    bracketed(p, () => {
      while (!p.atOp(')') && !p.atEof) {
        const before = p.pos;
        const parent = parseReferenceName(p);
        if (parent) parents.push(asIdentifier(parent));
        if (!p.eatOp(',') || p.pos === before) break;
      }
    });
    p.expectOp(')');
  }
  let forHostName: Identifier | undefined;
  if (p.sameLine && p.eatKw('for')) {
    const host = parseReferenceName(p);
    if (host) forHostName = asIdentifier(host);
  }
  let doc: string | undefined;
  const checks: CheckExpr[] = [];
  if (p.expectOp(':')) {
    parseSuite(p, first, () => {
      const t = p.tok;
      if (t.kind === 'string' && doc === undefined && checks.length === 0 && p.peek().nl) {
        p.next();
        doc = docText(p, t);
        return;
      }
      checks.push(...parseCheckLine(p));
    });
  }
  return {
    kind: 'RuleStmt', name, ...(doc !== undefined ? { doc } : {}), args, parents,
    ...(forHostName ? { forHostName } : {}), decorators, checks, span: p.spanFrom(first),
  };
}
