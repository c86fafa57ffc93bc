/**
 * List and config (dict) literals: entries separated by commas or newlines, `*` / `**`
 * unpacking, `if`/`elif`/`else` items (inline or as indented blocks), and list / dict
 * comprehensions.
 */
import type {
  CompClause, ConfigEntry, ConfigEntryOp, ConfigExpr, ConfigIfEntryExpr, DictComp, Expr, Identifier,
  ListComp, ListExpr, ListIfItemExpr, SelectorExpr,
} from '../ast.js';
import { describeToken, isKeyword, isOp, type Token } from '../lexer/tokens.js';
import { bracketed, parseExpr, parseOrTest, parsePostfix } from './expressions.js';
import type { Parser } from './parser.js';

/** Words that begin something other than a config key when they start an entry. */
const NON_KEY_WORDS: ReadonlySet<string> = new Set([
  'if', 'elif', 'else', 'for', 'not', 'lambda', 'all', 'any', 'map', 'filter', 'True', 'False', 'None', 'Undefined',
]);

export function parseListExpr(p: Parser): ListExpr | ListComp {
  const first = p.next();
  return bracketed(p, () => withItemLevels(p, () => {
    const elts: Expr[] = [];
    if (p.eatOp(']')) return { kind: 'ListExpr', elts, span: p.spanFrom(first) } as ListExpr;
    noteItemLine(p);
    p.allowLineBreak();
    const head = parseListItem(p);
    if (p.atKw('for')) {
      const generators = parseCompClauses(p);
      p.expectOp(']');
      return { kind: 'ListComp', elt: head, generators, span: p.spanFrom(first) } as ListComp;
    }
    elts.push(head);
    parseSeparated(p, ']', () => elts.push(parseListItem(p)));
    p.expectOp(']');
    return { kind: 'ListExpr', elts, span: p.spanFrom(first) } as ListExpr;
  }));
}

/**
 * After a first item: items until `close`, separated by `,`, a line break, or (as the
 * reference allows: `[1 2]`) nothing. Every iteration consumes at least one token, so
 * malformed input cannot loop.
 */
function parseSeparated(p: Parser, close: string, parseItem: () => void, lineBreakAllowed?: (t: Token) => boolean): void {
  for (;;) {
    if (p.atOp(close) || p.atEof) return;
    p.eatOp(',');
    if (p.atOp(close) || p.atEof) return;
    if (lineBreakAllowed && p.tok.nl && !lineBreakAllowed(p.tok)) {
      p.errorAtToken(`expected one of ["${close}"] got ${describeToken(p.tok)}`, p.tok);
      return;
    }
    const before = p.pos;
    noteItemLine(p);
    p.allowLineBreak();
    parseItem();
    if (p.pos === before) {
      p.errorExpected([close]);
      p.next();
    }
  }
}

/** An item starting a line sets a level that `if` blocks among the items may dedent to. */
function noteItemLine(p: Parser): void {
  if (p.tok.nl && !p.indentStack.includes(p.tok.ind)) p.indentStack.push(p.tok.ind);
}

/** Runs a literal's body; the item levels it notes are dropped when the literal ends. */
function withItemLevels<T>(p: Parser, fn: () => T): T {
  const depth = p.indentStack.length;
  try {
    return fn();
  } finally {
    p.indentStack.length = depth;
  }
}

function parseListItem(p: Parser): Expr {
  const t = p.tok;
  if (isKeyword(t, 'if')) return parseListIfItem(p);
  if (isOp(t, '*')) {
    p.next();
    const value = parseExpr(p);
    return { kind: 'StarredExpr', value, span: p.spanFrom(t) };
  }
  return parseExpr(p);
}

function parseListIfItem(p: Parser): ListIfItemExpr {
  p.enter();
  try {
    return parseListIfItemUnguarded(p);
  } finally {
    p.leave();
  }
}

function parseListIfItemUnguarded(p: Parser): ListIfItemExpr {
  const first = p.next(); // `if` or `elif`
  const cond = parseExpr(p);
  p.expectOp(':');
  const exprs = parseLayoutItems(p, first, ']', () => parseListItem(p));
  let orelse: ListIfItemExpr | ListExpr | undefined;
  if (p.atKw('elif')) {
    orelse = parseListIfItem(p);
  } else if (p.atKw('else')) {
    const elseTok = p.next();
    p.expectOp(':');
    const elts = parseLayoutItems(p, elseTok, ']', () => parseListItem(p));
    orelse = { kind: 'ListExpr', elts, span: p.spanFrom(elseTok) };
  }
  return { kind: 'ListIfItemExpr', cond, exprs, ...(orelse ? { orelse } : {}), span: p.spanFrom(first) };
}

/**
 * The items after `if cond:` inside a literal: one item on the same line, or an indented block
 * of items (commas allowed) deeper than the line holding `header`.
 */
export function parseLayoutItems<T>(p: Parser, header: Token, close: string, parseItem: () => T): T[] {
  const items: T[] = [];
  if (!p.tok.nl) {
    if (!p.atOp(close) && !p.atEof) items.push(parseItem());
    return items;
  }
  p.allowLineBreak();
  const start = p.tok;
  if (p.atEof) {
    p.errorMissingBlockAtEnd();
    return items;
  }
  if (p.atOp(close) || p.compareIndent(start, header.ind, header.indTab1) <= 0) {
    const got = start.ind < header.ind ? 'dedent' : describeToken(start);
    p.errorAtToken(`expected one of ["indent"] got ${got}`, start);
    return items;
  }
  const depth = p.indentStack.length;
  p.indentStack.push(start.ind);
  try {
    for (;;) {
      const before = p.pos;
      p.allowLineBreak();
      items.push(parseItem());
      if (p.pos === before) { p.errorExpected([close]); p.next(); }
      p.eatOp(',');
      const t = p.tok;
      if (t.kind === 'eof' || isOp(t, close)) return items;
      if (t.nl) {
        const cmp = p.compareIndent(t, start.ind, start.indTab1);
        if (cmp < 0) {
          if (!isOp(t, ']') && !isOp(t, '}') && !isOp(t, ')')) p.checkDedent(t);
          return items;
        }
        if (cmp > 0) p.errorAtToken("unexpected token 'indent'", t);
      } else if (isKeyword(t, 'elif') || isKeyword(t, 'else')) {
        return items;
      }
    }
  } finally {
    p.indentStack.length = depth;
  }
}

export function parseConfigExpr(p: Parser): ConfigExpr | DictComp {
  const first = p.next();
  return bracketed(p, () => withItemLevels(p, () => {
    const entries: ConfigEntry[] = [];
    if (p.eatOp('}')) return { kind: 'ConfigExpr', entries, span: p.spanFrom(first) } as ConfigExpr;
    // As in the reference, a config whose first entry shares the line with `{` stays on that line.
    const multiLine = p.tok.nl;
    noteItemLine(p);
    p.allowLineBreak();
    const head = parseConfigEntry(p);
    if (p.atKw('for') && head.key !== undefined && (multiLine || !p.tok.nl)) {
      const generators = parseCompClauses(p);
      p.expectOp('}');
      return { kind: 'DictComp', entry: head, generators, span: p.spanFrom(first) } as DictComp;
    }
    entries.push(head);
    // The reference lets an inline config go on to the next line after an `if` entry (its
    // one-line form ends at the line break, `{if a: x = 1` NEWLINE `else: x = 2}`), provided
    // that line is indented like the line holding `{`; after any other entry it must close.
    const afterIfEntry = (t: Token): boolean =>
      entries[entries.length - 1]!.value.kind === 'ConfigIfEntryExpr' && p.compareIndent(t, first.ind, first.indTab1) === 0;
    parseSeparated(p, '}', () => entries.push(parseConfigEntry(p)), multiLine ? undefined : afterIfEntry);
    p.expectOp('}');
    return { kind: 'ConfigExpr', entries, span: p.spanFrom(first) } as ConfigExpr;
  })) as ConfigExpr;
}

function parseConfigEntry(p: Parser): ConfigEntry {
  const t = p.tok;
  if (isOp(t, '**')) {
    p.next();
    const value = parseExpr(p);
    return { kind: 'ConfigEntry', value, op: ':', isDoubleStar: true, span: p.spanFrom(t) };
  }
  if (isKeyword(t, 'if')) {
    const value = parseConfigIfEntry(p);
    return { kind: 'ConfigEntry', value, op: ':', isDoubleStar: false, span: value.span };
  }
  const key = parseConfigKey(p);
  const opTok = p.tok;
  let op: ConfigEntryOp = ':';
  if (!opTok.nl && (isOp(opTok, ':') || isOp(opTok, '=') || isOp(opTok, '+='))) {
    op = opTok.value as ConfigEntryOp;
    p.next();
  } else if (key.kind === 'Identifier') {
    // `{name}` is shorthand for `{name = name}` (the reference records it as an override).
    return { kind: 'ConfigEntry', key, value: key, op: '=', isDoubleStar: false, span: p.spanFrom(t) };
  } else {
    p.errorExpected([':', '=', '+=']);
    return { kind: 'ConfigEntry', key, value: p.missing(), op, isDoubleStar: false, span: p.spanFrom(t) };
  }
  const value = parseExpr(p);
  return { kind: 'ConfigEntry', key, value, op, isDoubleStar: false, span: p.spanFrom(t) };
}

/**
 * A key: a name or dotted name (`a.b.c`, which the evaluator expands into nested configs), a
 * string, or any other expression, evaluated.
 */
function parseConfigKey(p: Parser): Expr {
  const t = p.tok;
  if (t.kind === 'name' && (t.dollar || !NON_KEY_WORDS.has(t.value))) {
    const start = p.pos;
    p.next();
    let key: Identifier | SelectorExpr = { kind: 'Identifier', name: t.value, span: p.tokenSpan(t) };
    while (p.atOp('.') && p.peek().kind === 'name') {
      p.next();
      const attr = p.next();
      key = { kind: 'SelectorExpr', value: key, attr: attr.value, hasQuestion: false, span: p.spanFrom(t) };
    }
    const n = p.tok;
    if (!n.nl && (isOp(n, ':') || isOp(n, '=') || isOp(n, '+='))) return key;
    if (key.kind === 'Identifier' && (isOp(n, ',') || isOp(n, '}') || n.nl)) return key;
    p.pos = start; // not a plain key after all: an expression key such as `a + b: 1`
  }
  if (t.kind === 'string') return parsePostfix(p);
  return parseOrTest(p);
}

function parseConfigIfEntry(p: Parser): ConfigIfEntryExpr {
  p.enter();
  try {
    return parseConfigIfEntryUnguarded(p);
  } finally {
    p.leave();
  }
}

function parseConfigIfEntryUnguarded(p: Parser): ConfigIfEntryExpr {
  const first = p.next(); // `if` or `elif`
  const cond = parseExpr(p);
  p.expectOp(':');
  const entries = parseLayoutItems(p, first, '}', () => parseConfigEntry(p));
  let orelse: ConfigIfEntryExpr | ConfigExpr | undefined;
  if (p.atKw('elif')) {
    orelse = parseConfigIfEntry(p);
  } else if (p.atKw('else')) {
    const elseTok = p.next();
    p.expectOp(':');
    const elseEntries = parseLayoutItems(p, elseTok, '}', () => parseConfigEntry(p));
    orelse = { kind: 'ConfigExpr', entries: elseEntries, span: p.spanFrom(elseTok) };
  }
  return { kind: 'ConfigIfEntryExpr', cond, entries, ...(orelse ? { orelse } : {}), span: p.spanFrom(first) };
}

/** `for a[, b] in iter [if cond]...`, repeated. */
function parseCompClauses(p: Parser): CompClause[] {
  const clauses: CompClause[] = [];
  while (p.atKw('for')) {
    const first = p.next();
    const targets: Identifier[] = [];
    do {
      const v = p.tok;
      if (v.kind !== 'name') { p.errorExpected(['identifier']); break; }
      p.next();
      targets.push({ kind: 'Identifier', name: v.value, span: p.tokenSpan(v) });
    } while (p.eatOp(','));
    p.expectKw('in');
    const iter = parseOrTest(p);
    // One filter per clause, as in the reference: a second `if` reads as a ternary.
    const ifs: Expr[] = [];
    if (p.eatKw('if')) ifs.push(parseExpr(p));
    clauses.push({ kind: 'CompClause', targets, iter, ifs, span: p.spanFrom(first) });
  }
  return clauses;
}
