/**
 * String tokens to StringLit or JoinedString. Each `${expr}` is lexed and parsed from its own
 * slice of the original source, so the inner expression's spans point into the file.
 */
import type { Expr, FormattedValue, JoinedString, StringLit } from '../ast.js';
import { diagnostic } from '../diagnostics.js';
import { lex } from '../lexer/lexer.js';
import { decodeString } from '../lexer/strings.js';
import type { Token } from '../lexer/tokens.js';
import { parseExpr } from './expressions.js';
import { Parser } from './parser.js';

export function parseStringLiteral(p: Parser, t: Token): StringLit | JoinedString {
  const info = t.string!;
  const decoded = decodeString(p.source, info.contentStart, info.contentEnd, info.isRaw);
  if (decoded.errorAt !== undefined) {
    // The reference reports a bad escape at the start of the string's text, a bad
    // interpolation where it begins.
    const reportAt = decoded.errorMessage === 'invalid string syntax' ? info.contentStart : decoded.errorAt;
    const at = positionOf(p.source, info.contentLine, info.contentLineStart, info.contentStart, reportAt);
    p.error(decoded.errorMessage ?? 'invalid string syntax', { file: p.file, line: at.line, col: at.col, endLine: at.line, endCol: at.col + 1 }, decoded.errorAt);
  }
  const span = p.tokenSpan(t);
  if (decoded.pieces.every((piece) => piece.text !== undefined)) {
    return { kind: 'StringLit', value: decoded.pieces.map((piece) => piece.text).join(''), raw: t.value, span };
  }
  const parts: (string | FormattedValue)[] = [];
  for (const piece of decoded.pieces) {
    if (piece.text !== undefined) {
      parts.push(piece.text);
      continue;
    }
    const value = parseInterpolation(p, info.contentLine, info.contentLineStart, info.contentStart, piece.exprStart!, piece.exprEnd!);
    const at = positionOf(p.source, info.contentLine, info.contentLineStart, info.contentStart, piece.start);
    const endAt = positionOf(p.source, at.line, at.lineStart, piece.start, piece.end);
    let formatSpec: FormattedValue['formatSpec'];
    if (piece.formatSpec !== undefined) {
      const specAt = positionOf(p.source, at.line, at.lineStart, piece.start, piece.exprEnd! + 1);
      const specSpan = { file: p.file, line: specAt.line, col: specAt.col, endLine: endAt.line, endCol: endAt.col };
      if (piece.formatSpec === '#json' || piece.formatSpec === '#yaml') formatSpec = piece.formatSpec;
      else if (!piece.formatSpec.startsWith('#')) {
        // The reference lexes the spec text too, so its lexical errors come first.
        const specRange = { start: piece.exprEnd! + 1, end: piece.end - 1, line: specAt.line, lineStart: specAt.lineStart };
        p.diagnostics.push(...lex(p.source, p.file, specRange).diagnostics);
        p.error('invalid joined string spec without #', specSpan, piece.exprEnd! + 1);
      }
      else {
        // Not a syntax error in the reference: it fails to compile, naming the spec.
        p.diagnostics.push(diagnostic('E2L23', `${piece.formatSpec} is a invalid format spec`, value.span));
      }
    }
    parts.push({
      kind: 'FormattedValue', value, ...(formatSpec ? { formatSpec } : {}),
      span: { file: p.file, line: at.line, col: at.col, endLine: endAt.line, endCol: endAt.col },
    });
  }
  return { kind: 'JoinedString', parts, raw: t.value, span };
}

function parseInterpolation(p: Parser, line: number, lineStart: number, from: number, start: number, end: number): Expr {
  const at = positionOf(p.source, line, lineStart, from, start);
  const { tokens, diagnostics } = lex(p.source, p.file, { start, end, line: at.line, lineStart: at.lineStart });
  p.diagnostics.push(...diagnostics);
  const inner = new Parser(p.source, p.file, tokens, p.diagnostics);
  inner.resetDepth(p.nesting, p.chainLength);
  inner.isInterpolation = true;
  if (inner.atEof) {
    const dollar = positionOf(p.source, line, lineStart, from, start - 2);
    const text = p.source.slice(start, end);
    p.error(`invalid string interpolation expression: '${text}'`, { file: p.file, line: dollar.line, col: dollar.col, endLine: at.line, endCol: at.col + 1 }, start);
    return inner.missing();
  }
  const expr = parseExpr(inner);
  if (!inner.atEof) inner.errorAtToken('invalid joined string', inner.tok);
  return expr;
}

/** Line and column of `offset`, counting from a known position at `from`. */
function positionOf(source: string, line: number, lineStart: number, from: number, offset: number): { line: number; col: number; lineStart: number } {
  for (let i = from; i < offset; i++) {
    if (source.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, col: offset - lineStart + 1, lineStart };
}
