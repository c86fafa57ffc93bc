/**
 * How an actual outcome is judged against a golden (the rules are documented in
 * docs/conformance.md; keep the two in step).
 *
 * - stdout: the golden is what `kcl run` printed: print() output, then the YAML. The print()
 *   text must match exactly; the YAML is compared as parsed documents, key order included, and
 *   with floats kept apart from ints (`2.0` is not `2`), but not its quoting or layout.
 * - errors: compared by code and line, plus column for syntax errors. Never by message text.
 */
import yaml from 'js-yaml';
import type { GoldenError } from './corpus.js';

export interface ActualError {
  readonly code: string;
  /** Relative to the case directory, when the diagnostic names a file. */
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
}

export type ActualOutcome =
  | { readonly kind: 'stdout'; readonly printed: string; readonly yaml: string }
  | { readonly kind: 'error'; readonly error: ActualError; readonly printed?: string };

export type Verdict = { readonly pass: true } | { readonly pass: false; readonly reason: string };

const PASS: Verdict = { pass: true };
const fail = (reason: string): Verdict => ({ pass: false, reason });

/** Marks a YAML float so `1.0` and `1` stay different after parsing. */
const FLOAT_TAG = '!float';

/** String() loses the sign of zero, and the reference prints `-0.0` as `0.0`. */
function floatText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/** js-yaml's own scalar types; present at run time, missing from @types/js-yaml. */
const coreTypes = (yaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float', yaml.Type> }).types;

const taggedFloat = new yaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string) => coreTypes.float.resolve(data),
  construct: (data: string) => ({ [FLOAT_TAG]: floatText(coreTypes.float.construct(data) as number) }),
});

/** Ints beyond 2^53 would be rounded by JS numbers: those compare by their exact digits. */
const exactInt = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string) => coreTypes.int.resolve(data),
  construct: (data: string) => {
    const n = coreTypes.int.construct(data) as number;
    if (Number.isSafeInteger(n)) return n;
    const text = data.replace(/_/g, '');
    const negative = text.startsWith('-');
    const exact = BigInt(text.replace(/^[-+]/, ''));
    return { exactInt: (negative ? -exact : exact).toString() };
  },
});

/**
 * YAML 1.2 core scalars (null, bool, int, float) on top of plain strings, without the
 * timestamp/merge extras of js-yaml's default schema, which would turn `2024-01-01` into a Date.
 */
const COMPARE_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [coreTypes.null, coreTypes.bool, exactInt, taggedFloat],
});

export function parseYamlStream(text: string): unknown[] {
  return yaml.loadAll(text, undefined, { schema: COMPARE_SCHEMA });
}

/** Stable text of parsed YAML that keeps key order (JSON.stringify does). */
function canonical(documents: unknown[]): string {
  return JSON.stringify(documents, null, 1);
}

function isFloat(v: unknown): v is { [FLOAT_TAG]: string } {
  return typeof v === 'object' && v !== null && FLOAT_TAG in v;
}

function isCollection(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !isFloat(v);
}

function show(v: unknown): string {
  if (isFloat(v)) return /^-?\d+$/.test(v[FLOAT_TAG]) ? `${v[FLOAT_TAG]}.0` : v[FLOAT_TAG];
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** Where two parsed YAML values first differ, as `path: expected X, got Y`. */
function firstDifference(expected: unknown, actual: unknown, path: string): string | undefined {
  const mismatch = `${path}: expected ${show(expected)}, got ${show(actual)}`;
  if (!isCollection(expected) || !isCollection(actual)) {
    return canonical([expected]) === canonical([actual]) ? undefined : mismatch;
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) return mismatch;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      if (i >= expected.length) return `${path}: unexpected extra item [${i}] ${show(actual[i])}`;
      if (i >= actual.length) return `${path}: missing item [${i}] ${show(expected[i])}`;
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const eKeys = Object.keys(e);
  const aKeys = Object.keys(a);
  for (const k of eKeys) {
    if (!(k in a)) return `${path}.${k}: missing (expected ${show(e[k])})`;
  }
  for (const k of aKeys) {
    if (!(k in e)) return `${path}.${k}: unexpected (got ${show(a[k])})`;
  }
  for (const k of eKeys) {
    const d = firstDifference(e[k], a[k], `${path}.${k}`);
    if (d) return d;
  }
  if (eKeys.join('\0') !== aKeys.join('\0')) {
    return `${path}: key order differs: expected [${eKeys.join(', ')}], got [${aKeys.join(', ')}]`;
  }
  return undefined;
}

/** The reference prints `{}` for a program that exports nothing; an empty stream means the same. */
function documentsOf(text: string): unknown[] {
  const docs = parseYamlStream(text).filter((d) => d !== undefined && d !== null);
  return docs.length === 1 && isEmptyObject(docs[0]) ? [] : docs;
}

function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

export function judgeStdout(goldenText: string, actual: ActualOutcome): Verdict {
  if (actual.kind === 'error') {
    const where = actual.error.line !== undefined ? ` at ${actual.error.line}:${actual.error.col ?? '?'}` : '';
    return fail(`expected success, got ${actual.error.code}${where}`);
  }
  if (!goldenText.startsWith(actual.printed)) {
    return fail(`print() output differs: got ${JSON.stringify(actual.printed.slice(0, 80))}`);
  }
  const expectedYaml = goldenText.slice(actual.printed.length);
  let expectedDocs: unknown[];
  try {
    expectedDocs = documentsOf(expectedYaml);
  } catch {
    // A golden that is not YAML after our print() text means our print() output fell short.
    return fail('print() output differs: golden has more printed text than we produced');
  }
  let actualDocs: unknown[];
  try {
    actualDocs = documentsOf(actual.yaml);
  } catch (error) {
    return fail(`our YAML does not parse: ${(error as Error).message.split('\n')[0]}`);
  }
  if (canonical(expectedDocs) === canonical(actualDocs)) return PASS;
  return fail(firstDifference(expectedDocs, actualDocs, 'output') ?? 'documents differ');
}

/** Positions of syntax errors are token positions and exact; other kinds compare lines only. */
const COLUMN_CHECKED_KINDS = new Set(['InvalidSyntax', 'TabError', 'IndentationError']);

function codeMatches(golden: GoldenError, code: string): boolean {
  // The reference prints runtime failures (assert, check, index, overflow...) only as
  // `EvaluationError` with no code, so any runtime code (E3xxx) is accepted for them.
  return golden.code !== undefined ? golden.code === code : code.startsWith('E3');
}

/**
 * The line must be one the reference printed for that error: its main location or a related
 * one (a failed check may be reported at the instantiation or at the condition).
 */
function errorMatches(golden: GoldenError, actual: ActualError): boolean {
  if (!codeMatches(golden, actual.code)) return false;
  if (golden.locations.length === 0) return true;
  const checkColumn = COLUMN_CHECKED_KINDS.has(golden.kind);
  // The file counts too: an error inside an imported module must name that module's file.
  return golden.locations.some(
    (at) =>
      at.line === actual.line &&
      (actual.file === undefined || at.file === actual.file) &&
      (!checkColumn || at.col === undefined || at.col === actual.col),
  );
}

function describeGolden(g: GoldenError): string {
  const code = g.code ?? `${g.kind} (any E3 code)`;
  const file = g.locations[0]?.file;
  return g.line !== undefined ? `${code} at ${file ? `${file}:` : ''}${g.line}:${g.col ?? '?'}` : code;
}

/**
 * Our first diagnostic must match one of the reference's errors of the same kind as its first
 * one: the reference reports several syntax errors at once, lexer errors before parser errors,
 * so its first is not always the earliest in the file.
 */
export function judgeError(goldenErrors: readonly GoldenError[], actual: ActualOutcome): Verdict {
  const first = goldenErrors[0];
  if (!first) return fail('stderr.golden holds no error');
  if (actual.kind === 'stdout') return fail(`expected ${describeGolden(first)}, but the program succeeded`);
  const sameKind = goldenErrors.filter((g) => g.code === first.code && g.kind === first.kind);
  if (sameKind.some((g) => errorMatches(g, actual.error))) return PASS;
  const got = actual.error;
  const where = got.line !== undefined ? ` at ${got.file ? `${got.file}:` : ''}${got.line}:${got.col ?? '?'}` : ' (no location)';
  return fail(`expected ${describeGolden(first)}, got ${got.code}${where}`);
}
