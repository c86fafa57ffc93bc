/**
 * The KCL lexer: source text to a flat token array, never throwing. Problems (bad characters,
 * unterminated strings, bad number suffixes) become E1001 diagnostics and lexing goes on.
 *
 * A lexer can also cover just a slice of the file (the inside of a `${...}` interpolation), so
 * the tokens of an interpolated expression carry positions in the original file.
 */
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import type { UnitSuffix } from '../ast.js';
import { OPERATORS, UNIT_SUFFIXES, type NumberInfo, type StringInfo, type Token } from './tokens.js';

export interface LexRange {
  readonly start: number;
  readonly end: number;
  /** 1-based line at `start` and the offset where that line begins. */
  readonly line: number;
  readonly lineStart: number;
}

export interface LexResult {
  readonly tokens: Token[];
  readonly diagnostics: Diagnostic[];
}

const CH_NL = 10, CH_CR = 13, CH_SPACE = 32, CH_TAB = 9, CH_FF = 12, CH_HASH = 35, CH_BSLASH = 92;
const CH_DQ = 34, CH_SQ = 39, CH_DOLLAR = 36, CH_DOT = 46, CH_0 = 48, CH_9 = 57, CH_UNDERSCORE = 95;

function isDigit(c: number): boolean { return c >= CH_0 && c <= CH_9; }
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === CH_UNDERSCORE || c > 127;
}
function isIdentChar(c: number): boolean { return isIdentStart(c) || isDigit(c); }

/** Operators grouped by first character, longest first. */
const OPS_BY_FIRST = new Map<string, string[]>();
for (const op of OPERATORS) {
  const list = OPS_BY_FIRST.get(op[0]!) ?? [];
  list.push(op);
  OPS_BY_FIRST.set(op[0]!, list);
}

const CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

export function lex(source: string, file: string, range?: LexRange): LexResult {
  const tokens: Token[] = [];
  const diagnostics: Diagnostic[] = [];
  const end = range ? range.end : source.length;
  let i = range ? range.start : 0;
  let line = range ? range.line : 1;
  let lineStart = range ? range.lineStart : 0;
  // Within a sub-range the first token continues the enclosing line, so it does not start one.
  let atLineStart = !range;
  let nl = !range;
  let ind = 0, indTab1 = 0;
  // Tokens of a `\` continuation line inherit the indentation of the logical line.
  let continuation = false;
  const openBrackets: string[] = [];

  const error = (message: string, l: number, c: number, el = l, ec = c + 1): void => {
    diagnostics.push(diagnostic('E1001', message, { file, line: l, col: c, endLine: el, endCol: ec }));
  };

  // Every token gets the same fields in the same order, so they all share one object shape.
  const push = (kind: Token['kind'], value: string, start: number, startLine: number, startCol: number,
    dollar?: boolean, number?: NumberInfo, string?: StringInfo): void => {
    tokens.push({
      kind, value, start, end: i, line: startLine, col: startCol, endLine: line, endCol: i - lineStart + 1,
      nl, ind, indTab1, dollar, number, string,
    });
    nl = false;
  };

  while (i < end) {
    if (atLineStart) {
      // Measure this physical line's indentation.
      let w = 0, w1 = 0;
      while (i < end) {
        const c = source.charCodeAt(i);
        if (c === CH_SPACE) { w++; w1++; } else if (c === CH_TAB) { w = w - (w % 8) + 8; w1++; } else if (c === CH_FF) { w = 0; w1 = 0; } else break;
        i++;
      }
      if (!continuation) { ind = w; indTab1 = w1; }
      atLineStart = false;
      continue;
    }
    const c = source.charCodeAt(i);
    if (c === CH_NL) {
      i++; line++; lineStart = i; atLineStart = true; continuation = false;
      if (tokens.length > 0) nl = true;
      continue;
    }
    if (c === CH_SPACE || c === CH_TAB || c === CH_CR || c === CH_FF) { i++; continue; }
    if (c === CH_HASH) {
      while (i < end && source.charCodeAt(i) !== CH_NL) i++;
      continue;
    }
    if (c === CH_BSLASH) {
      let j = i + 1;
      if (j < end && source.charCodeAt(j) === CH_CR) j++;
      if (j < end && source.charCodeAt(j) === CH_NL) {
        i = j + 1; line++; lineStart = i; atLineStart = true; continuation = true;
        continue;
      }
      if (j >= end) { i = j; continue; }
      error('unexpected character after line continuation character', line, i - lineStart + 1);
      i++;
      continue;
    }
    const startCol = i - lineStart + 1;
    const startLine = line;
    const start = i;
    if (isIdentStart(c) || c === CH_DOLLAR) {
      // A raw-string prefix is a one-letter name right before a quote.
      if ((c === 114 || c === 82) && i + 1 < end) {
        const q = source.charCodeAt(i + 1);
        if (q === CH_DQ || q === CH_SQ) { i++; scanString(true, start, startLine, startCol); continue; }
      }
      const dollar = c === CH_DOLLAR;
      i++;
      if (dollar && !(i < end && isIdentStart(source.charCodeAt(i)))) {
        // a lone `$` is a token of its own; the parser reports it where it does not fit
        push('op', '$', start, startLine, startCol);
        continue;
      }
      while (i < end && isIdentChar(source.charCodeAt(i))) i++;
      const word = source.slice(dollar ? start + 1 : start, i);
      push('name', word, start, startLine, startCol, dollar || undefined);
      continue;
    }
    if (isDigit(c)) {
      scanNumber(start, startLine, startCol);
      continue;
    }
    if (c === CH_DQ || c === CH_SQ) { scanString(false, start, startLine, startCol); continue; }
    const candidates = OPS_BY_FIRST.get(source[i]!);
    if (candidates) {
      let matched: string | undefined;
      for (const op of candidates) {
        if (source.startsWith(op, i) && i + op.length <= end) { matched = op; break; }
      }
      if (matched) {
        trackBracket(matched, startLine, startCol);
        i += matched.length;
        push('op', matched, start, startLine, startCol);
        continue;
      }
    }
    error(`invalid character '${source[i]}' in source`, startLine, startCol);
    i++;
  }
  i = end;
  tokens.push({
    kind: 'eof', value: '', start: end, end, line, col: end - lineStart + 1, endLine: line,
    endCol: end - lineStart + 1, nl: true, ind: 0, indTab1: 0, dollar: undefined, number: undefined, string: undefined,
  });
  return { tokens, diagnostics };

  function trackBracket(op: string, l: number, c: number): void {
    if (op === '(' || op === '[' || op === '{' || op === '?[') {
      openBrackets.push(op === '?[' ? '[' : op);
    } else if (op === ')' || op === ']' || op === '}') {
      const open = openBrackets.pop();
      // the reference's wording depends only on the closer
      if (open === undefined || CLOSER[open] !== op) {
        error(op === '}' ? 'error nesting on close brace' : op === ')' ? 'error nesting on close paren' : 'mismatched closing delimiter', l, c);
      }
    }
  }

  function scanNumber(start: number, startLine: number, startCol: number): void {
    const numberError = (message: string, at = start): void => {
      error(message, startLine, startCol + (at - start), line, i - lineStart + 1);
    };
    let isFloat = false;
    let value: number;
    const c0 = source.charCodeAt(i);
    const c1 = i + 1 < end ? source[i + 1] : '';
    if (c0 === CH_0 && (c1 === 'x' || c1 === 'o' || c1 === 'b')) {
      const radix = c1 === 'x' ? 16 : c1 === 'o' ? 8 : 2;
      i += 2;
      const digitsStart = i;
      while (i < end && (isIdentChar(source.charCodeAt(i)))) {
        if (radix !== 16 && !isDigit(source.charCodeAt(i)) && source[i] !== '_') break;
        if (radix === 16 && !/[0-9a-fA-F_]/.test(source[i]!)) break;
        i++;
      }
      const digits = source.slice(digitsStart, i).replace(/_/g, '');
      const bad = [...source.slice(digitsStart, i)].findIndex((d) => d !== '_' && !(parseInt(d, radix) < radix));
      value = 0;
      if (digits.length === 0) numberError('no valid digits found for number');
      else if (bad >= 0) numberError(`invalid digit for a base ${radix} literal, start: ${digitsStart + bad}, stop: ${digitsStart + bad + 1}`, digitsStart + bad);
      else value = parseInt(digits, radix);
    } else {
      while (i < end && (isDigit(source.charCodeAt(i)) || source.charCodeAt(i) === CH_UNDERSCORE)) i++;
      // `1.e3` is the int 1 and the selector `.e3`; `1..` is not a float either
      if (i < end && source.charCodeAt(i) === CH_DOT && !(i + 1 < end && (source.charCodeAt(i + 1) === CH_DOT || isIdentStart(source.charCodeAt(i + 1))))) {
        isFloat = true;
        i++;
        while (i < end && (isDigit(source.charCodeAt(i)) || source.charCodeAt(i) === CH_UNDERSCORE)) i++;
      }
      const e = i < end ? source.charCodeAt(i) : 0;
      if (e === 101 || e === 69) {
        let j = i + 1;
        if (j < end && (source[j] === '+' || source[j] === '-')) j++;
        if (j < end && isDigit(source.charCodeAt(j))) {
          isFloat = true;
          i = j;
          while (i < end && isDigit(source.charCodeAt(i))) i++;
        } else {
          i = j;
          numberError('expected at least one digit in exponent');
        }
      }
      const text = source.slice(start, i).replace(/_/g, '');
      if (!isFloat && text.length > 1 && text[0] === '0') {
        // legacy octal: `017` is 15, as in the reference; `09` is an error there too
        value = /^[0-7]+$/.test(text) ? parseInt(text, 8) : 0;
        if (value === 0 && !/^0+$/.test(text)) numberError('no valid digits found for number');
      } else {
        value = isFloat ? parseFloat(text) : parseInt(text, 10);
      }
    }
    let suffix: UnitSuffix | undefined;
    if (i < end && isIdentStart(source.charCodeAt(i))) {
      const sStart = i;
      while (i < end && isIdentChar(source.charCodeAt(i))) i++;
      const word = source.slice(sStart, i);
      // The reference ignores whatever follows a float (`1.5Ki` is 1.5) and a lone `i`.
      if (!isFloat && word !== 'i') {
        if (UNIT_SUFFIXES.has(word)) suffix = word as UnitSuffix;
        else numberError('invalid int binary suffix');
      }
    }
    const number: NumberInfo = { value, isFloat, suffix };
    push('number', source.slice(start, i), start, startLine, startCol, undefined, number);
  }

  function scanString(isRaw: boolean, start: number, startLine: number, startCol: number): void {
    const quote = source.charCodeAt(i);
    const isTriple = i + 2 < end && source.charCodeAt(i + 1) === quote && source.charCodeAt(i + 2) === quote;
    i += isTriple ? 3 : 1;
    const contentStart = i;
    const contentLine = line;
    const contentLineStart = lineStart;
    let contentEnd = -1;
    while (i < end) {
      const c = source.charCodeAt(i);
      if (c === CH_BSLASH) {
        i++;
        if (i < end && source.charCodeAt(i) === CH_NL) { line++; lineStart = i + 1; }
        i++;
        continue;
      }
      if (c === CH_NL) {
        if (!isTriple) break;
        i++; line++; lineStart = i;
        continue;
      }
      if (c === quote) {
        if (!isTriple) { contentEnd = i; i++; break; }
        if (i + 2 < end && source.charCodeAt(i + 1) === quote && source.charCodeAt(i + 2) === quote) {
          contentEnd = i; i += 3; break;
        }
      }
      i++;
    }
    if (i > end) i = end;
    if (contentEnd < 0) {
      error('unterminated string', startLine, startCol, line, i - lineStart + 1);
      contentEnd = i;
    }
    const string: StringInfo = { isRaw, isTriple, contentStart, contentEnd, contentLine, contentLineStart };
    push('string', source.slice(start, i), start, startLine, startCol, undefined, undefined, string);
  }
}
