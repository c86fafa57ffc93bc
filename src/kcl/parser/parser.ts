/**
 * Parser state and the primitives every grammar module uses: a token cursor, error reporting
 * with recovery, spans, a nesting guard, and the layout rules (blocks by indentation).
 *
 * Grammar functions live in sibling modules (`expressions.ts`, `collections.ts`, `statements.ts`,
 * `schema.ts`, `types.ts`) as free functions taking the Parser, so each file has one concern.
 * All state is on the instance: parsers are independent and re-entrant.
 */
import { MAX_DIAGNOSTICS, diagnostic, type Diagnostic } from '../diagnostics.js';
import type { Span } from '../span.js';
import type { MissingExpr } from '../ast.js';
import { describeToken, isKeyword, isOp, type Token } from '../lexer/tokens.js';

/** Deeper nesting than this is reported as E1001 instead of risking a stack overflow. */
export const MAX_NESTING = 150;

/**
 * Operators and postfix steps (`.name`, `[i]`, `(args)`) one chain may hold, counting the chains
 * it sits inside: `1 + 1 + ...` and `a.b.c...` build trees as deep as they are long, which the
 * checker and planner walk recursively (5,000 terms overflowed the stack). Reported as E1001.
 */
export const MAX_CHAIN = 1000;

/** Unwinds the parse of one statement when nesting is too deep; caught by the block loop. */
export class NestingTooDeep extends Error {}

/** Unwinds the whole parse once MAX_DIAGNOSTICS errors are reported; caught by parse(). */
export class TooManyErrors extends Error {}

export class Parser {
  pos = 0;
  /** Set while parsing a quantifier target, where `name {` is the body, not a schema expression. */
  noSchemaExpr = false;
  /**
   * Index of the one token that may start a new line here: a statement, or an item of a list,
   * config or call. Anywhere else a line break ends the construct, as in the reference.
   */
  lineOkPos = 0;
  /** Parsing the inside of a `${...}`: its end is the end of the input. */
  isInterpolation = false;
  /** Indentation widths of the enclosing statement blocks, outermost first. */
  indentStack: number[] = [];
  private depth = 0;
  private chain = 0;
  private lastErrorAt = -1;

  constructor(
    readonly source: string,
    readonly file: string,
    readonly tokens: Token[],
    readonly diagnostics: Diagnostic[],
  ) {}

  get tok(): Token { return this.tokens[this.pos]!; }
  get prev(): Token { return this.tokens[this.pos > 0 ? this.pos - 1 : 0]!; }
  peek(n = 1): Token { return this.tokens[Math.min(this.pos + n, this.tokens.length - 1)]!; }
  get atEof(): boolean { return this.tok.kind === 'eof'; }

  next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  atOp(op: string): boolean { return isOp(this.tok, op); }
  atKw(word: string): boolean { return isKeyword(this.tok, word); }
  /** The current token is on the same logical line as the previous one. */
  get sameLine(): boolean { return !this.tok.nl; }

  eatOp(op: string): boolean {
    if (isOp(this.tok, op)) { this.pos++; return true; }
    return false;
  }

  eatKw(word: string): boolean {
    if (isKeyword(this.tok, word)) { this.pos++; return true; }
    return false;
  }

  /** Consumes `op` or reports `expected one of [op]` without consuming anything. */
  expectOp(op: string): boolean {
    if (this.eatOp(op)) return true;
    this.errorExpected([op]);
    return false;
  }

  expectKw(word: string): boolean {
    if (this.eatKw(word)) return true;
    this.errorExpected([word]);
    return false;
  }

  /** An operand is needed but the line ended (outside brackets), or the input did. */
  atNewlineOperand(): boolean {
    const t = this.tok;
    return t.kind === 'eof' || (t.nl && this.pos !== this.lineOkPos);
  }

  /** Allows the current token to start a new line (it begins an item or statement). */
  allowLineBreak(): void { this.lineOkPos = this.pos; }

  /**
   * `expected one of [...] got X`. A missing token at the end of a line is reported where the
   * reference reports it: on the last character of the line's final token.
   */
  errorExpected(expected: string[]): void {
    let got = this.atNewlineOperand() && this.tok.kind !== 'eof' ? 'newline' : describeToken(this.tok);
    // A final line break reaches the reference's parser as a newline token, except where it
    // skips line breaks: before the `]` or `}` closing a list or config.
    const closesLiteral = expected.length === 1 && (expected[0] === ']' || expected[0] === '}');
    if (this.tok.kind === 'eof' && !closesLiteral && this.pos > 0 && this.source.indexOf('\n', this.prev.end) >= 0) got = 'newline';
    const list = expected.map((e) => `"${e}"`).join(', ');
    this.errorAtCurrent(`expected one of [${list}] got ${got}`);
  }

  /** Reports at the current token, or at the end of the previous line if the token starts a new one. */
  errorAtCurrent(message: string): void {
    const t = this.tok;
    if (t.kind === 'eof' && !this.isInterpolation) {
      const at = this.endOfInput();
      this.error(message, at, t.start);
    } else if (this.atNewlineOperand() && this.pos > 0 && !(t.kind === 'eof' && this.isInterpolation)) {
      // The reference points at the end of the line that stopped short.
      const p = this.prev;
      const col = Math.max(1, this.lineLength(p.end));
      this.error(message, { file: this.file, line: p.endLine, col, endLine: p.endLine, endCol: col + 1 }, p.end);
    } else {
      this.error(message, this.tokenSpan(t), t.start);
    }
  }

  /**
   * Where the reference reports "got eof": on the line holding the final line break (the
   * last line if there is none), at its last character.
   */
  endOfInput(): Span {
    let offset = this.source.length;
    const lastBreak = this.source.lastIndexOf('\n');
    if (lastBreak >= 0 && this.source.slice(lastBreak + 1).trim() === '') offset = lastBreak;
    let line = 1;
    for (let i = this.source.indexOf('\n'); i >= 0 && i < offset; i = this.source.indexOf('\n', i + 1)) line++;
    const col = Math.max(1, this.lineLength(offset));
    return { file: this.file, line, col, endLine: line, endCol: col + 1 };
  }

  /** Length of the source line containing `offset`, without its line break. */
  lineLength(offset: number): number {
    const start = this.source.lastIndexOf('\n', offset - 1) + 1;
    let end = this.source.indexOf('\n', offset);
    if (end < 0) end = this.source.length;
    if (end > start && this.source.charCodeAt(end - 1) === 13) end--;
    return end - start;
  }

  /** Records an E1001, at most one per source offset so a single fault does not cascade. */
  error(message: string, at: Span, offset = -1): void {
    if (offset >= 0) {
      if (offset === this.lastErrorAt) return;
      this.lastErrorAt = offset;
    }
    if (this.diagnostics.length >= MAX_DIAGNOSTICS) {
      // Past the cap the rest of the source is not parsed: nothing more would be reported.
      this.diagnostics.push(diagnostic('E1001', `too many syntax errors: the parse stopped after ${MAX_DIAGNOSTICS}`, at));
      throw new TooManyErrors();
    }
    this.diagnostics.push(diagnostic('E1001', message, at));
  }

  errorAtToken(message: string, t: Token): void {
    this.error(message, this.tokenSpan(t), t.start);
  }

  tokenSpan(t: Token): Span {
    return { file: this.file, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol };
  }

  /** From the start of `first` to the end of the last consumed token. */
  spanFrom(first: Token): Span {
    const last = this.pos > 0 && this.prev.start >= first.start ? this.prev : first;
    return { file: this.file, line: first.line, col: first.col, endLine: last.endLine, endCol: last.endCol };
  }

  missing(): MissingExpr {
    const t = this.tok;
    return { kind: 'MissingExpr', span: { file: this.file, line: t.line, col: t.col, endLine: t.line, endCol: t.col } };
  }

  /** Guards recursive descent; pair every `enter()` with `leave()` in a finally block. */
  enter(): void {
    if (++this.depth > MAX_NESTING) {
      this.depth--;
      this.errorAtCurrent('nesting too deep');
      throw new NestingTooDeep();
    }
  }

  leave(): void { this.depth--; }

  /** One more operator or postfix step in the chain being parsed; undone with `shortenChain`. */
  extendChain(): void {
    if (++this.chain > MAX_CHAIN) {
      this.chain--;
      this.errorAtCurrent(`expression too long: more than ${MAX_CHAIN} operators or postfix steps in a chain`);
      throw new NestingTooDeep();
    }
  }

  shortenChain(n: number): void { this.chain -= n; }

  resetDepth(depth: number, chain = 0): void {
    this.depth = depth;
    this.chain = chain;
  }
  get nesting(): number { return this.depth; }
  get chainLength(): number { return this.chain; }

  /** Skips to the first token of the next logical line (statement-level recovery). */
  skipLine(): void {
    const last = this.tokens.length - 1;
    if (this.pos >= last) return;
    this.pos++;
    while (this.pos < last && !this.tokens[this.pos]!.nl) this.pos++;
  }

  /**
   * Reports a line dedented to a depth no enclosing block has. The reference counts the
   * spaces beyond the nearest shallower level: 6 spaces under blocks at 0 and 4 are "2 spaces".
   */
  checkDedent(t: Token): void {
    if (this.indentStack.includes(t.ind)) return;
    let base = 0;
    for (const level of this.indentStack) if (level < t.ind && level > base) base = level;
    const n = t.ind - base;
    this.errorAtToken(`invalid indentation with ${n} ${n === 1 ? 'space' : 'spaces'}, try to align indents by adding or removing spaces`, t);
  }

  /**
   * Where a missing block is reported at the end of input: the end of the last line, naming
   * the dedent the reference's lexer emits there when a block is open.
   */
  errorMissingBlockAtEnd(): void {
    const got = this.indentStack.some((level) => level > 0) ? 'dedent' : 'eof';
    this.error(`expected one of ["indent"] got ${got}`, this.endOfInput(), this.tok.start);
  }

  /**
   * Compares a line's indentation with a block's, detecting tab/space mixes whose meaning
   * depends on the tab width (reported as the reference does: E1001).
   */
  compareIndent(t: Token, ind: number, indTab1: number): number {
    const a = Math.sign(t.ind - ind);
    const b = Math.sign(t.indTab1 - indTab1);
    if (a !== b) this.errorAtToken('inconsistent use of tabs and spaces in indentation', t);
    return a;
  }
}
