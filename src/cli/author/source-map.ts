/**
 * Maps KCL positions back to the file an author edits. A KCLRun's program is `spec.source`
 * inside a YAML file, and a `*_test.k` runs together with its package's other files; either way
 * the interpreter sees one source whose line N lives somewhere else. An editor needs the real
 * file:line:col, so diagnostics are rewritten through a list of segments.
 */
import yaml from 'js-yaml';
import type { Diagnostic, Span } from '../../kcl/index.js';

export interface Segment {
  /** The file the lines come from. */
  readonly file: string;
  /** First line (1-based) of the segment in the compiled source. */
  readonly firstLine: number;
  readonly lineCount: number;
  /** The line in `file` of the segment's first line. */
  readonly targetLine: number;
  /** Added to every column (the block scalar's indentation). */
  readonly colOffset: number;
  /** Every line maps to targetLine, column 1 (when the exact position is not recoverable). */
  readonly collapsed?: boolean;
}

export function remapSpan(span: Span, segments: readonly Segment[]): Span {
  const seg = segments.find((s) => span.line >= s.firstLine && span.line < s.firstLine + s.lineCount) ?? segments[segments.length - 1];
  if (!seg) return span;
  if (seg.collapsed) return { file: seg.file, line: seg.targetLine, col: 1, endLine: seg.targetLine, endCol: 1 };
  const line = (l: number): number => Math.min(l - seg.firstLine, seg.lineCount - 1) + seg.targetLine;
  return { file: seg.file, line: line(span.line), col: span.col + seg.colOffset, endLine: line(span.endLine), endCol: span.endCol + seg.colOffset };
}

export function remapDiagnostic(d: Diagnostic, segments: readonly Segment[]): Diagnostic {
  return {
    ...d,
    ...(d.span ? { span: remapSpan(d.span, segments) } : {}),
    ...(d.related ? { related: d.related.map((r) => ({ message: r.message, span: remapSpan(r.span, segments) })) } : {}),
  };
}

export interface YamlDocument {
  readonly doc: unknown;
  /** 1-based line where the document's text starts. */
  readonly startLine: number;
  readonly lines: readonly string[];
}

const SEPARATOR = /^---(\s|$)/;

/** Splits a YAML stream into its non-empty documents, keeping where each starts. */
export function splitYamlDocuments(text: string): YamlDocument[] {
  const all = text.split(/\r?\n/);
  const chunks: { startLine: number; lines: string[] }[] = [{ startLine: 1, lines: [] }];
  all.forEach((line, i) => {
    if (SEPARATOR.test(line)) chunks.push({ startLine: i + 1, lines: [line.replace(/^---/, '   ')] });
    else chunks[chunks.length - 1]!.lines.push(line);
  });
  const out: YamlDocument[] = [];
  for (const chunk of chunks) {
    let doc: unknown;
    try {
      doc = yaml.load(chunk.lines.join('\n'));
    } catch {
      continue; // the caller reports YAML errors from parsing the whole stream
    }
    if (doc !== null && doc !== undefined) out.push({ doc, startLine: chunk.startLine, lines: chunk.lines });
  }
  return out;
}

/**
 * The line of `key:` among the children of the mapping whose key is on line `parent` (the first
 * child's indentation is the children's), or -1.
 */
function childKeyLine(lines: readonly string[], parent: number, key: string): number {
  const parentIndent = lines[parent]!.length - lines[parent]!.trimStart().length;
  let childIndent = -1;
  for (let i = parent + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent <= parentIndent) break;
    if (childIndent < 0) childIndent = indent;
    if (indent === childIndent && line.slice(indent).startsWith(`${key}:`)) return i;
  }
  return -1;
}

/**
 * Where a KCL source string of a KCLRun document lives — `spec.source` by default, or
 * `spec.recovery.source` (`path` ['recovery', 'source']): exact for a literal block scalar
 * (`source: |`), whose content lines are the KCL lines with the block's indentation; otherwise
 * every position maps to the `source:` line (or the document's first line).
 */
export function sourceSegments(file: string, document: YamlDocument, source: string, path: readonly string[] = ['source']): Segment[] {
  const { lines, startLine } = document;
  const specLine = lines.findIndex((l) => /^spec:\s*(#.*)?$/.test(l));
  let keyLine = specLine;
  for (const key of path) {
    if (keyLine < 0) break;
    keyLine = childKeyLine(lines, keyLine, key);
  }
  const fallback = (line: number): Segment[] => [{ file, firstLine: 1, lineCount: Number.MAX_SAFE_INTEGER, targetLine: line, colOffset: 0, collapsed: true }];
  if (keyLine < 0) return fallback(startLine);
  const match = /^(\s+)source:\s*\|([1-9])?[-+]?([1-9])?\s*(#.*)?$/.exec(lines[keyLine]!);
  if (!match) return fallback(startLine + keyLine);
  const kclLines = source.replace(/\n$/, '').split('\n');
  const explicit = match[2] ?? match[3];
  const firstContent = lines.slice(keyLine + 1).find((l) => l.trim() !== '') ?? '';
  const indent = explicit ? match[1]!.length + Number(explicit) : firstContent.length - firstContent.trimStart().length;
  const exact = kclLines.every((kcl, i) => {
    const yamlLine = lines[keyLine + 1 + i];
    return yamlLine !== undefined && (kcl === '' ? yamlLine.trim() === '' : yamlLine.slice(indent) === kcl);
  });
  if (!exact) return fallback(startLine + keyLine);
  return [{ file, firstLine: 1, lineCount: kclLines.length, targetLine: startLine + keyLine + 1, colOffset: indent }];
}
