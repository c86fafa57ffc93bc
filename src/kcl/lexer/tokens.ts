/**
 * Tokens of KCL source. Layout (newlines and indentation) is not expressed as separate
 * NEWLINE/INDENT/DEDENT tokens: every token records whether it starts a logical line and how
 * deep its physical line is indented, and the parser derives blocks from that. This lets the
 * same rules serve module-level blocks and the indented `if` blocks that KCL allows inside
 * config and list literals and lambda bodies.
 */
import type { UnitSuffix } from '../ast.js';

export type TokenKind = 'name' | 'number' | 'string' | 'op' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier text (without a leading `$`), operator text, or the raw literal text. */
  readonly value: string;
  /** Offsets into the source, end exclusive. */
  readonly start: number;
  readonly end: number;
  /** 1-based line and column of the first character; endCol is one past the last character. */
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  /** First token of a logical line (a `\` continuation does not start one). */
  readonly nl: boolean;
  /** Indentation width of the token's physical line, tabs advancing to the next multiple of 8. */
  readonly ind: number;
  /** The same width counting a tab as one column; disagreeing comparisons mean a TabError. */
  readonly indTab1: number;
  /** `$name`: a name that is never a keyword. */
  readonly dollar?: boolean;
  readonly number?: NumberInfo;
  readonly string?: StringInfo;
}

export interface NumberInfo {
  readonly value: number;
  readonly isFloat: boolean;
  readonly suffix?: UnitSuffix;
}

export interface StringInfo {
  readonly isRaw: boolean;
  readonly isTriple: boolean;
  /** Offsets of the text between the quotes. */
  readonly contentStart: number;
  readonly contentEnd: number;
  /** 1-based position of the first content character (for spans of interpolated parts). */
  readonly contentLine: number;
  readonly contentLineStart: number;
}

/** Words that can never be plain identifiers (a `$` prefix makes any of them one). */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'True', 'False', 'None', 'Undefined', 'import', 'as', 'rule', 'schema', 'mixin', 'protocol',
  'for', 'assert', 'if', 'elif', 'else', 'or', 'and', 'not', 'in', 'is', 'lambda',
  'all', 'any', 'filter', 'map', 'type',
]);

export const UNIT_SUFFIXES: ReadonlySet<string> = new Set([
  'n', 'u', 'm', 'k', 'K', 'M', 'G', 'T', 'P', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi',
]);

/** Operators, longest first within each leading character so a greedy scan is correct. */
export const OPERATORS: readonly string[] = [
  '**=', '//=', '<<=', '>>=', '...',
  '**', '//', '<<', '>>', '<=', '>=', '==', '!=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
  '->', '?.', '?[',
  '+', '-', '*', '/', '%', '&', '|', '^', '~', '<', '>', '=', '(', ')', '[', ']', '{', '}',
  ',', ':', '.', ';', '@', '?', '!',
];

export function isKeyword(tok: Token, word: string): boolean {
  return tok.kind === 'name' && tok.value === word && !tok.dollar;
}

export function isOp(tok: Token, op: string): boolean {
  return tok.kind === 'op' && tok.value === op;
}

/** How a token is named in "expected ... got X" messages, as the reference names it. */
export function describeToken(tok: Token): string {
  switch (tok.kind) {
    case 'eof': return 'eof';
    case 'name': return KEYWORDS.has(tok.value) && !tok.dollar ? tok.value : 'identifier';
    case 'number': return tok.value;
    // the reference names a string by its text
    case 'string': return tok.string ? tok.value.slice(tok.string.contentStart - tok.start, tok.string.contentEnd - tok.start) : 'literal';
    case 'op': return tok.value;
  }
}
