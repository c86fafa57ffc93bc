/**
 * The one catalogue of KCL error codes. Codes and names follow the reference implementation
 * (E1xxx syntax, E2xxx compile, E3xxx runtime); the K9xxx codes are kclguard's own guardrails,
 * which the reference does not have. Every code here is produced somewhere (a test checks it);
 * docs/kcl-language.md lists them (a test keeps the two in step). Tests assert codes, never
 * message text.
 */
import { formatSpan, type Span } from './span.js';

export const ErrorCodes = {
  // syntax (E1xxx). The reference prints every syntax problem as E1001 (indentation and tab
  // errors too), and some other kinds under E1001 with their own title (NameError,
  // ImmutableError, RecursiveLoad...): Diagnostic.title.
  E1001: 'InvalidSyntax',
  // compile (E2xxx)
  E2F04: 'CannotFindModule',
  E2F05: 'FailedLoadModule',
  E2G22: 'TypeError',
  E2L23: 'CompileError',
  E2L28: 'UniqueKeyError',
  E2A31: 'IllegalAttributeError',
  E2D34: 'IllegalInheritError',
  // runtime (E3xxx). The reference prints every runtime error as an uncoded EvaluationError
  // (E3M38); kclguard tells these apart, for failureAction and for authors.
  E3K04: 'FloatOverflow',
  E3K09: 'IntOverflow',
  E3M38: 'EvaluationError',
  E3M40: 'SchemaCheckFailure',
  E3M41: 'AssertionError',
  // kclguard guardrails (K9xxx): a policy runs synchronously inside the admission path
  K9001: 'StepBudgetExceeded',
  K9002: 'RecursionLimitExceeded',
  K9003: 'TimeoutExceeded',
  K9004: 'ValueSizeLimitExceeded',
  K9005: 'SandboxViolation',
  K9006: 'UnsupportedRegex',
  // host modules (a module the embedding program provides, e.g. kclguard's `kube`): the host
  // refuses or cannot answer a call
  K9007: 'UndeclaredLookup',
  K9008: 'LookupForbidden',
  K9009: 'LookupFailed',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface Diagnostic {
  readonly code: ErrorCode;
  /**
   * The title printed after the code when it is not the catalogue's name for the code: the
   * reference prints some errors under a shared code (`error[E1001]: ImmutableError`).
   */
  readonly title?: string;
  readonly message: string;
  /** Where it happened; absent only for errors with no source location (e.g. a bad -D flag). */
  readonly span?: Span;
  /** Further locations, e.g. the other side of a conflicting union. */
  readonly related?: readonly { readonly message: string; readonly span: Span }[];
}

export function diagnostic(code: ErrorCode, message: string, span?: Span): Diagnostic {
  return span ? { code, message, span } : { code, message };
}

/**
 * The most diagnostics a compile reports; more are summed up in one final note. A source can
 * produce an error per character (`a = ------...1`), and each is printed with its source line:
 * 100,000 of them took `kclguard run` out of memory and made a 12 MB log line in the server.
 */
export const MAX_DIAGNOSTICS = 100;

/** The first MAX_DIAGNOSTICS of `diagnostics`, then one note counting the rest (same code). */
export function capDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS + 1) return diagnostics;
  const rest = diagnostics.length - MAX_DIAGNOSTICS;
  const first = diagnostics[MAX_DIAGNOSTICS]!;
  return [...diagnostics.slice(0, MAX_DIAGNOSTICS), diagnostic(first.code, `${rest} more errors not shown`, first.span)];
}

/**
 * Renders a diagnostic like `kcl run` does (without colour):
 *
 *     error[E2G22]: TypeError
 *      --> main.k:2:5
 *       |
 *     2 | b = a + "x"
 *       |     ^ unsupported operand type(s) for +: 'int' and 'str'
 *       |
 *
 * `sourceLine` is the text of the line the span starts on, when the caller has it.
 */
export function formatDiagnostic(d: Diagnostic, sourceLine?: string): string {
  const head = `error[${d.code}]: ${d.title ?? ErrorCodes[d.code]}`;
  if (!d.span) return `${head}\n${d.message}\n`;
  const lineNo = String(d.span.line);
  const pad = ' '.repeat(lineNo.length);
  const out = [head, `${pad}--> ${formatSpan(d.span)}`, `${pad} |`];
  if (sourceLine !== undefined) {
    const shown = clipLine(sourceLine, d.span.col - 1);
    out.push(`${lineNo} | ${shown.text}`);
    out.push(`${pad} | ${' '.repeat(Math.max(0, shown.caret))}^ ${d.message}`);
  } else {
    out.push(`${pad} | ${d.message}`);
  }
  out.push(`${pad} |`);
  return out.join('\n') + '\n';
}

/** Longest source line shown whole under a diagnostic; a longer one is cut around the column. */
export const MAX_SHOWN_LINE = 240;

/**
 * The part of a source line shown under a diagnostic and where its caret goes: the whole line
 * up to MAX_SHOWN_LINE characters, else a window around `col` (0-based) marked with `...`, so
 * a diagnostic on a 200 KB line is not 200 KB of text.
 */
function clipLine(line: string, col: number): { text: string; caret: number } {
  if (line.length <= MAX_SHOWN_LINE) return { text: line, caret: col };
  const half = MAX_SHOWN_LINE / 2;
  const start = Math.max(0, Math.min(col - half, line.length - MAX_SHOWN_LINE));
  const end = Math.min(line.length, start + MAX_SHOWN_LINE);
  const before = start > 0 ? '...' : '';
  const after = end < line.length ? '...' : '';
  return { text: before + line.slice(start, end) + after, caret: col - start + before.length };
}

/** One-line form for logs, AdmissionResponse messages and KCLRun status conditions. */
export function formatDiagnosticShort(d: Diagnostic): string {
  const where = d.span ? `${formatSpan(d.span)}: ` : '';
  return `${where}${d.code} ${d.title ?? ErrorCodes[d.code]}: ${d.message}`;
}

/** Whether `e` is JavaScript's stack overflow (a value too deeply nested for a recursive walk). */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/**
 * Thrown inside the evaluator and builtins; caught at the public API boundary
 * (`program.run` never throws), where it becomes a Diagnostic.
 */
export class KclError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
    this.name = 'KclError';
  }
}

export function kclError(code: ErrorCode, message: string, span?: Span): KclError {
  return new KclError(diagnostic(code, message, span));
}
