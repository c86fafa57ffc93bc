/**
 * Source positions. Every AST node and every diagnostic carries a Span, so an error can always
 * say `file:line:col` without a side table (lines and columns are 1-based, as `kcl run` prints).
 */
export interface Span {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
}

export function span(file: string, line: number, col: number, endLine = line, endCol = col): Span {
  return { file, line, col, endLine, endCol };
}

/** A span running from the start of `from` to the end of `to`. */
export function joinSpans(from: Span, to: Span): Span {
  return { file: from.file, line: from.line, col: from.col, endLine: to.endLine, endCol: to.endCol };
}

export function formatSpan(s: Span): string {
  return `${s.file}:${s.line}:${s.col}`;
}
