/**
 * The parser entry point: source text to a Module plus every syntax error found. Never throws;
 * on errors the Module is still complete, with MissingExpr placeholders where needed.
 */
import type { Module } from './ast.js';
import { capDiagnostics, diagnostic, type Diagnostic } from './diagnostics.js';
import { lex } from './lexer/lexer.js';
import { Parser } from './parser/parser.js';
import { parseModuleBody } from './parser/statements.js';

export interface ParseResult {
  readonly module: Module;
  readonly diagnostics: Diagnostic[];
}

export function parse(source: string, filename: string): ParseResult {
  try {
    return parseUnguarded(source, filename);
  } catch (e) {
    // Only a parser bug gets here (the fuzz test hunts for them): still answer with a diagnostic.
    const at = { file: filename, line: 1, col: 1, endLine: 1, endCol: 1 };
    const message = `internal parser error: ${e instanceof Error ? e.message : String(e)}`;
    return { module: { kind: 'Module', filename, body: [], span: at }, diagnostics: [diagnostic('E1001', message, at)] };
  }
}

/** `parse` without the safety net, for tests that must see a parser bug as an exception. */
export function parseUnguarded(source: string, filename: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = lex(source, filename);
  // The lexer reports at most one error per character; beyond the cap only a count is kept.
  diagnostics.push(...capDiagnostics(lexed.diagnostics));
  const parser = new Parser(source, filename, lexed.tokens, diagnostics);
  const body = parseModuleBody(parser);
  let lastLine = 1;
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lastLine++;
  const span = { file: filename, line: 1, col: 1, endLine: lastLine, endCol: source.length - source.lastIndexOf('\n') };
  return { module: { kind: 'Module', filename, body, span }, diagnostics };
}
