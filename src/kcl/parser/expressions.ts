/**
 * Expressions: precedence climbing over KCL's operator table, postfix chains (selectors,
 * subscripts, calls, schema expressions), atoms, lambdas and quantifiers.
 *
 * Precedence follows the reference parser, which differs from Python: unary operators,
 * `not` included, bind tighter than any binary operator (`-2 ** 2` is 4, `not a == b` is
 * `(not a) == b`); `**` is left-associative (`2 ** 3 ** 2` is 64); the comparison operators
 * have four levels (`< > <= >=` above `is`, above `in`, above `== !=`), and a comparison
 * whose left side is a comparison joins its chain (`a < b == c` is one CompareExpr, while
 * `a == b < c` is `a == (b < c)`); `as` is the loosest binary operator.
 */
import type {
  BinOp, CallExpr, CmpOp, ConfigExpr, Expr, Identifier, Keyword, LambdaExpr, Parameter, QuantExpr, QuantOp,
  SchemaExpr, SelectorExpr, SubscriptExpr, UnaryOp,
} from '../ast.js';
import { diagnostic } from '../diagnostics.js';
import { isKeyword, isOp, type Token } from '../lexer/tokens.js';
import { parseConfigExpr, parseListExpr } from './collections.js';
import { parseStringLiteral } from './string-literal.js';
import { parseBraceBody } from './statements.js';
import { parseType } from './types.js';
import type { Parser } from './parser.js';

const PREC_AS = 1, PREC_OR = 2, PREC_AND = 3, PREC_EQ = 4, PREC_IN = 5, PREC_IS = 6, PREC_ORDER = 7;

const BINARY_PREC: Record<string, number> = {
  '|': 8, '^': 9, '&': 10, '<<': 11, '>>': 11, '+': 12, '-': 12, '*': 13, '/': 13, '//': 13, '%': 13, '**': 14,
};
const COMPARE_PREC: Record<string, number> = { '==': PREC_EQ, '!=': PREC_EQ, '<': PREC_ORDER, '<=': PREC_ORDER, '>': PREC_ORDER, '>=': PREC_ORDER };

export const ATOM_START = ['identifier', 'literal', '(', '[', '{'];

/** A full expression, including `body if cond else orelse`. */
export function parseExpr(p: Parser): Expr {
  p.enter();
  try {
    const first = p.tok;
    const body = parseBinary(p, PREC_AS);
    if (p.atKw('if') && p.sameLine) {
      p.next();
      const cond = parseBinary(p, PREC_AS);
      p.expectKw('else');
      const orelse = parseExpr(p);
      return { kind: 'IfExpr', cond, body, orelse, span: p.spanFrom(first) };
    }
    return body;
  } finally {
    p.leave();
  }
}

/** An expression without a trailing `if ... else` (where `if` introduces a guard instead). */
export function parseOrTest(p: Parser): Expr {
  return parseBinary(p, PREC_AS);
}

interface Infix { readonly prec: number; readonly op: string; readonly tokens: number; readonly compare: boolean }

const OP_INFIX = new Map<string, Infix>();
for (const [op, prec] of Object.entries(BINARY_PREC)) OP_INFIX.set(op, { prec, op, tokens: 1, compare: false });
for (const [op, prec] of Object.entries(COMPARE_PREC)) OP_INFIX.set(op, { prec, op, tokens: 1, compare: true });
const OR: Infix = { prec: PREC_OR, op: 'or', tokens: 1, compare: false };
const AND: Infix = { prec: PREC_AND, op: 'and', tokens: 1, compare: false };
const AS: Infix = { prec: PREC_AS, op: 'as', tokens: 1, compare: false };
const IN: Infix = { prec: PREC_IN, op: 'in', tokens: 1, compare: true };
const NOT_IN: Infix = { prec: PREC_IN, op: 'not in', tokens: 2, compare: true };
const IS: Infix = { prec: PREC_IS, op: 'is', tokens: 1, compare: true };
const IS_NOT: Infix = { prec: PREC_IS, op: 'is not', tokens: 2, compare: true };

function infixAt(p: Parser): Infix | undefined {
  const t = p.tok;
  if (t.nl) return undefined; // an operator never continues an expression onto a new line
  if (t.kind === 'op') return OP_INFIX.get(t.value);
  if (t.kind !== 'name' || t.dollar) return undefined;
  switch (t.value) {
    case 'or': return OR;
    case 'and': return AND;
    case 'in': return IN;
    case 'as': return AS;
    case 'not': return isKeyword(p.peek(), 'in') ? NOT_IN : undefined;
    case 'is': return isKeyword(p.peek(), 'not') ? IS_NOT : IS;
    default: return undefined;
  }
}

function parseBinary(p: Parser, minPrec: number): Expr {
  p.enter();
  // Each operator makes the tree one level deeper (a comparison chain stays one node).
  let links = 0;
  try {
    const first = p.tok;
    let left = parseUnary(p);
    // The chain this loop is building: a comparison after a comparison extends it.
    let chain: { ops: CmpOp[]; comparators: Expr[] } | undefined;
    for (;;) {
      const infix = infixAt(p);
      if (!infix || infix.prec < minPrec) return left;
      if (infix.compare) {
        p.pos += infix.tokens;
        const right = parseBinary(p, infix.prec + 1);
        if (chain && left.kind === 'CompareExpr') {
          chain.ops.push(infix.op as CmpOp);
          chain.comparators.push(right);
          left = { kind: 'CompareExpr', left: left.left, ops: chain.ops, comparators: chain.comparators, span: p.spanFrom(first) };
        } else {
          chain = { ops: [infix.op as CmpOp], comparators: [right] };
          left = { kind: 'CompareExpr', left, ops: chain.ops, comparators: chain.comparators, span: p.spanFrom(first) };
        }
        continue;
      }
      chain = undefined;
      p.extendChain();
      links++;
      p.pos += infix.tokens;
      // The right side of `as` is any expression to the parser; the checker wants a type name.
      const right = parseBinary(p, infix.prec + 1);
      left = { kind: 'BinaryExpr', op: infix.op as BinOp, left, right, span: p.spanFrom(first) };
    }
  } finally {
    p.shortenChain(links);
    p.leave();
  }
}

/** The right side of `x as T`: a possibly dotted type name. */
function parseUnary(p: Parser): Expr {
  const t = p.tok;
  const isUnary = t.kind === 'op' ? t.value === '+' || t.value === '-' || t.value === '~' : isKeyword(t, 'not');
  if (isUnary && !p.atNewlineOperand()) {
    p.enter();
    try {
      p.next();
      // As in the reference, the operand is a primary: `- -5` and `not not a` are errors.
      const operand = parsePostfix(p);
      return { kind: 'UnaryExpr', op: t.value as UnaryOp, operand, span: p.spanFrom(t) };
    } finally {
      p.leave();
    }
  }
  return parsePostfix(p);
}

/** An atom followed by `.name`, `?.name`, `[...]`, `?[...]`, `(...)` and `Name {config}`. */
export function parsePostfix(p: Parser): Expr {
  const first = p.tok;
  let e = parseAtom(p);
  if (e.kind === 'MissingExpr') return e;
  // Each step makes the tree one level deeper.
  let links = 0;
  try {
    for (;;) {
      const t = p.tok;
      if (t.nl || t.kind !== 'op') return e;
      p.extendChain();
      links++;
      const step = parseSelectorOrSubscript(p, e, first);
      if (step === 'stop') return e;
      if (step !== undefined) {
        e = step;
      } else if (t.value === '(') {
        p.next();
        const call = bracketed(p, () => parseCallArgs(p, e, first));
        e = call;
      } else if (t.value === '{' && !p.noSchemaExpr && isSchemaName(e)) {
        e = parseSchemaExprTail(p, e, first);
      } else {
        return e;
      }
    }
  } finally {
    p.shortenChain(links);
  }
}

/**
 * One `.name`, `?.name`, `[...]` or `?[...]` step after `e` (the current token is an operator):
 * the extended expression, `undefined` when the operator is none of these, or 'stop' after a
 * reported error.
 */
function parseSelectorOrSubscript(p: Parser, e: Expr, first: Token): Expr | 'stop' | undefined {
  const op = p.tok;
  if (op.value === '.' || op.value === '?.') {
    p.next();
    const name = p.tok;
    if (name.kind !== 'name' || name.nl) {
      p.errorExpected(['identifier']);
      return 'stop';
    }
    p.next();
    return { kind: 'SelectorExpr', value: e, attr: name.value, hasQuestion: op.value === '?.', span: p.spanFrom(first) };
  }
  if (op.value === '[' || op.value === '?[') {
    p.next();
    return bracketed(p, (): Expr => parseSubscript(p, e, op.value === '?[', first));
  }
  return undefined;
}

function isSchemaName(e: Expr): boolean {
  if (e.kind === 'Identifier') return true;
  if (e.kind === 'SelectorExpr') return !e.hasQuestion && isSchemaName(e.value);
  if (e.kind === 'CallExpr') return e.func.kind === 'Identifier' || (e.func.kind === 'SelectorExpr' && isSchemaName(e.func));
  return false;
}

/** `Name {...}` or `Name(args) {...}`; the current token is the `{`. */
export function parseSchemaExprTail(p: Parser, callee: Expr, first: Token): SchemaExpr {
  const parsed = parseConfigExpr(p);
  const config: ConfigExpr = parsed.kind === 'ConfigExpr' ? parsed : { kind: 'ConfigExpr', entries: [], span: parsed.span };
  if (parsed.kind === 'DictComp') {
    // The reference parses this and rejects it when compiling.
    p.diagnostics.push(diagnostic('E2L23', 'Invalid schema config expr, expect config entries, e.g., {k1 = v1, k2 = v2}', parsed.span));
  }
  if (callee.kind === 'CallExpr') {
    return { kind: 'SchemaExpr', name: callee.func as Identifier | SelectorExpr, args: callee.args, keywords: callee.keywords, config, span: p.spanFrom(first) };
  }
  return { kind: 'SchemaExpr', name: callee as Identifier | SelectorExpr, args: [], keywords: [], config, span: p.spanFrom(first) };
}

/** Runs `fn` inside a bracket pair, where `name {` is a schema expression again. */
export function bracketed<T>(p: Parser, fn: () => T): T {
  const savedNoSchema = p.noSchemaExpr;
  p.noSchemaExpr = false;
  try {
    return fn();
  } finally {
    p.noSchemaExpr = savedNoSchema;
  }
}

function parseSubscript(p: Parser, value: Expr, hasQuestion: boolean, first: Token): SubscriptExpr {
  let lower: Expr | undefined;
  if (!p.atOp(':')) lower = parseExpr(p);
  if (!p.atOp(':')) {
    p.expectOp(']');
    return { kind: 'SubscriptExpr', value, index: lower, isSlice: false, hasQuestion, span: p.spanFrom(first) };
  }
  p.next();
  let upper: Expr | undefined;
  let step: Expr | undefined;
  if (!p.atOp(':') && !p.atOp(']')) upper = parseExpr(p);
  if (p.eatOp(':') && !p.atOp(']')) step = parseExpr(p);
  p.expectOp(']');
  return { kind: 'SubscriptExpr', value, lower, upper, step, isSlice: true, hasQuestion, span: p.spanFrom(first) };
}

function parseCallArgs(p: Parser, func: Expr, first: Token): CallExpr {
  const args: Expr[] = [];
  const keywords: Keyword[] = [];
  while (!p.atOp(')') && !p.atEof) {
    const before = p.pos;
    p.allowLineBreak();
    const t = p.tok;
    if (t.kind === 'name' && isOp(p.peek(), '=')) {
      p.pos += 2;
      const value = parseExpr(p);
      keywords.push({ kind: 'Keyword', name: t.value, value, span: p.spanFrom(t) });
    } else {
      if (keywords.length > 0) p.errorAtToken('positional argument follows keyword argument', t);
      args.push(parseExpr(p));
    }
    // Arguments may be separated by whitespace alone, but a line break only follows a comma.
    if (!p.eatOp(',') && p.tok.nl && !p.atOp(')')) break;
    if (p.pos === before) break;
  }
  p.expectOp(')');
  return { kind: 'CallExpr', func, args, keywords, span: p.spanFrom(first) };
}

function parseAtom(p: Parser): Expr {
  const t = p.tok;
  if (p.atNewlineOperand()) {
    p.errorExpected(ATOM_START);
    return p.missing();
  }
  switch (t.kind) {
    case 'number':
      p.next();
      return { kind: 'NumberLit', value: t.number!.value, isFloat: t.number!.isFloat, suffix: t.number!.suffix, raw: t.value, span: p.tokenSpan(t) };
    case 'string':
      p.next();
      return parseStringLiteral(p, t);
    case 'name':
      return parseNameAtom(p, t);
    case 'op':
      if (t.value === '(') {
        p.next();
        const expr = bracketed(p, () => parseExpr(p));
        p.expectOp(')');
        return { kind: 'ParenExpr', expr, span: p.spanFrom(t) };
      }
      if (t.value === '[') return parseListExpr(p);
      if (t.value === '{') return parseConfigExpr(p);
      break;
    case 'eof':
      break;
  }
  p.errorExpected(ATOM_START);
  return p.missing();
}

/**
 * A name in operand position. Other keywords (`if`, `else`, `in`, `import`...) are read as
 * identifiers there, as the reference does; they then fail as undefined names.
 */
function parseNameAtom(p: Parser, t: Token): Expr {
  if (!t.dollar) {
    switch (t.value) {
      case 'True': case 'False': case 'None': case 'Undefined':
        p.next();
        return { kind: 'NameConstantLit', value: t.value, span: p.tokenSpan(t) };
      case 'lambda':
        return parseLambda(p);
      case 'all': case 'any': case 'map': case 'filter':
        return parseQuant(p);
      default:
        break;
    }
  }
  p.next();
  return { kind: 'Identifier', name: t.value, span: p.tokenSpan(t) };
}

/** `lambda x: int, y = 1 -> int { body }`. */
export function parseLambda(p: Parser): LambdaExpr {
  const first = p.next();
  const params: Parameter[] = [];
  while (!p.atOp('{') && !p.atOp('->') && !p.atEof && !p.atNewlineOperand()) {
    const before = p.pos;
    params.push(parseParameter(p));
    // like call arguments, parameters may be separated by whitespace alone
    if (p.pos === before || (!p.eatOp(',') && p.tok.kind !== 'name')) break;
  }
  const returnType = p.eatOp('->') ? parseType(p) : undefined;
  const body = p.atOp('{') ? parseBraceBody(p) : (p.expectOp('{'), []);
  return { kind: 'LambdaExpr', params, ...(returnType ? { returnType } : {}), body, span: p.spanFrom(first) };
}

/** `name [: T] [= default]` in lambda and schema/rule argument lists. */
export function parseParameter(p: Parser): Parameter {
  const t = p.tok;
  if (t.kind !== 'name') {
    p.errorExpected(['identifier']);
    p.next();
    return { kind: 'Parameter', name: '', span: p.tokenSpan(t) };
  }
  p.next();
  const type = p.eatOp(':') ? parseType(p) : undefined;
  const dflt = p.eatOp('=') ? parseExpr(p) : undefined;
  return { kind: 'Parameter', name: t.value, ...(type ? { type } : {}), ...(dflt ? { default: dflt } : {}), span: p.spanFrom(t) };
}

/** Names that cannot start a quantifier's iterated value (the reference's parser). */
const NON_SOURCE_NAMES: ReadonlySet<string> = new Set(['None', 'Undefined', 'lambda', 'all', 'any', 'map', 'filter']);

/**
 * The value a quantifier iterates, as narrow as the reference reads it: a name followed by any
 * `.attr`, `?.attr`, `[index]`, `[slice]`, `?[...]` (no call, no operator: `all x in f()` and
 * `all x in xs or []` are syntax errors there), or a bare string, list or config literal.
 */
function parseQuantSource(p: Parser): Expr {
  const t = p.tok;
  if (t.kind === 'string' || isOp(t, '[') || isOp(t, '{')) {
    const savedNoSchema = p.noSchemaExpr;
    p.noSchemaExpr = true;
    try { return parseAtom(p); } finally { p.noSchemaExpr = savedNoSchema; }
  }
  if (t.kind !== 'name' || (!t.dollar && NON_SOURCE_NAMES.has(t.value)) || p.atNewlineOperand()) {
    p.errorExpected(isOp(t, '(') ? ['[', '{'] : ['str']);
    return p.missing();
  }
  p.next();
  let e: Expr = { kind: 'Identifier', name: t.value, span: p.tokenSpan(t) };
  for (;;) {
    const op = p.tok;
    if (op.nl || op.kind !== 'op') return e;
    const step = parseSelectorOrSubscript(p, e, t);
    if (step === 'stop' || step === undefined) return e;
    e = step;
  }
}

/** `all x in xs { test [if cond] }`; also `any`, `map`, `filter`, with one or two variables. */
function parseQuant(p: Parser): QuantExpr {
  const first = p.next();
  const variables: Identifier[] = [];
  do {
    const v = p.tok;
    if (v.kind !== 'name') { p.errorExpected(['identifier']); break; }
    p.next();
    variables.push({ kind: 'Identifier', name: v.value, span: p.tokenSpan(v) });
  } while (p.eatOp(','));
  p.expectKw('in');
  const target = parseQuantSource(p);
  let test: Expr = p.missing();
  let ifCond: Expr | undefined;
  if (p.tok.nl) p.errorExpected(['{']);
  else if (p.expectOp('{')) {
    bracketed(p, () => {
      p.allowLineBreak();
      // As in the reference, `if` here is always the filter, never a ternary.
      test = parseOrTest(p);
      if (p.eatKw('if')) ifCond = parseOrTest(p);
    });
    p.expectOp('}');
  }
  return { kind: 'QuantExpr', op: first.value as QuantOp, variables, target, test, ...(ifCond ? { ifCond } : {}), span: p.spanFrom(first) };
}
