/**
 * The conformance corpus on disk: finding cases, reading their inputs and goldens, and the
 * known-failures list. Pure file handling, no KCL evaluation, so it is testable on its own
 * (corpus.test.ts) and the format is documented in one place (README.md beside this file).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const CORPUS_SETTINGS = ['sort_keys', 'show_hidden', 'disable_none'] as const;
export type CorpusSetting = (typeof CORPUS_SETTINGS)[number];
export type CorpusSettings = Partial<Record<CorpusSetting, boolean>>;

/** One error the reference printed: its code (or only its kind, for runtime errors) and place. */
export interface GoldenError {
  /** `E2G22` etc.; undefined when the reference printed only a kind (`EvaluationError`). */
  readonly code?: string;
  /** `TypeError`, `EvaluationError`, ... as printed in the header. */
  readonly kind: string;
  readonly line?: number;
  readonly col?: number;
  /**
   * Every location printed under this header, first one included: a failed `check` names the
   * instantiation and the condition, an ImmutableError the assignment and the declaration.
   */
  readonly locations: readonly GoldenLocation[];
}

/** A place the reference printed: the file (relative to the case directory), line and column. */
export interface GoldenLocation {
  readonly file: string;
  readonly line: number;
  readonly col?: number;
}

export type Expectation =
  | { readonly kind: 'stdout'; readonly text: string }
  | { readonly kind: 'error'; readonly errors: readonly GoldenError[]; readonly text: string };

export interface ConformanceCase {
  /** `<feature>/<case>`, always with `/`, also the id used in known-failures.txt. */
  readonly id: string;
  readonly dir: string;
  readonly source: string;
  /** options.json: values for `option(name)`, as plain JSON. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly settings: CorpusSettings;
  readonly expected: Expectation;
  /**
   * A package case: the directory holds a kcl.mod, other `.k` files or subdirectories besides
   * main.k. It runs as `kcl run` runs a package (every `.k` file of the directory, imports,
   * kcl.mod dependencies); other cases run main.k alone.
   */
  readonly isPackage: boolean;
}

const CASE_FILES = new Set(['main.k', 'stdout.golden', 'stderr.golden', 'options.json', 'settings.json']);

export function isPackageCase(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some(
    (e) => e.isDirectory() || e.name === 'kcl.mod' || (e.name.endsWith('.k') && !CASE_FILES.has(e.name)),
  );
}

/**
 * Every directory below `root` holding a main.k, sorted by id. The walk does not enter a case:
 * the modules of a package case (which may have their own main.k) are part of that case.
 */
export function findCaseIds(root: string): string[] {
  const ids: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (!statSync(full).isDirectory()) continue;
      if (existsSync(join(full, 'main.k'))) ids.push(relative(root, full).split(sep).join('/'));
      else walk(full);
    }
  };
  walk(root);
  return ids.sort();
}

function readJsonObject(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${path}: must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

function readSettings(path: string): CorpusSettings {
  const raw = readJsonObject(path);
  const settings: CorpusSettings = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(CORPUS_SETTINGS as readonly string[]).includes(key) || typeof value !== 'boolean') {
      throw new Error(`${path}: unknown setting or non-boolean value for '${key}'`);
    }
    settings[key as CorpusSetting] = value;
  }
  return settings;
}

export function loadCase(root: string, id: string): ConformanceCase {
  const dir = join(root, ...id.split('/'));
  const stdoutPath = join(dir, 'stdout.golden');
  const stderrPath = join(dir, 'stderr.golden');
  const hasStdout = existsSync(stdoutPath);
  const hasStderr = existsSync(stderrPath);
  if (hasStdout === hasStderr) {
    throw new Error(`${id}: needs exactly one of stdout.golden / stderr.golden (run scripts/regen-goldens.py)`);
  }
  let expected: Expectation;
  if (hasStdout) {
    expected = { kind: 'stdout', text: readFileSync(stdoutPath, 'utf8') };
  } else {
    const text = readFileSync(stderrPath, 'utf8');
    const errors = parseStderrGolden(text);
    if (errors.length === 0) throw new Error(`${id}: stderr.golden holds no recognisable error header`);
    expected = { kind: 'error', errors, text };
  }
  return {
    id,
    dir,
    source: readFileSync(join(dir, 'main.k'), 'utf8'),
    options: readJsonObject(join(dir, 'options.json')),
    settings: readSettings(join(dir, 'settings.json')),
    expected,
    isPackage: isPackageCase(dir),
  };
}

const CODED_HEADER = /^error\[([A-Z][0-9A-Z]{4})\]: (\w+)\s*$/;
/** Runtime errors come from the reference as a bare kind line, without `error[...]`. */
const BARE_HEADER = /^([A-Z]\w*Error)\s*$/;
const LOCATION = /^\s*--> (.+?):(\d+)(?::(\d+))?\s*$/;

/**
 * The errors of a stderr golden, in the order the reference printed them. Each header's first
 * `-->` line is its main location; later ones (until the next header) are related places. The
 * reference prints some diagnostics twice; duplicates are kept, they do not change what matches.
 */
export function parseStderrGolden(text: string): GoldenError[] {
  const errors: GoldenError[] = [];
  type Building = { code?: string; kind: string; line?: number; col?: number; locations: GoldenLocation[] };
  let current: Building | undefined;
  const flush = (): void => {
    if (current) errors.push({ ...current });
    current = undefined;
  };
  for (const line of text.split('\n')) {
    const coded = CODED_HEADER.exec(line);
    const bare = coded ? null : BARE_HEADER.exec(line);
    if (coded || bare) {
      flush();
      current = coded ? { code: coded[1], kind: coded[2], locations: [] } : { kind: bare![1], locations: [] };
      continue;
    }
    const location = LOCATION.exec(line);
    if (location && current) {
      const file = location[1]!;
      const place = location[3] !== undefined
        ? { file, line: Number(location[2]), col: Number(location[3]) }
        : { file, line: Number(location[2]) };
      current.locations.push(place);
      if (current.line === undefined) {
        current.line = place.line;
        if (place.col !== undefined) current.col = place.col;
      }
    }
  }
  flush();
  return errors;
}

/** known-failures.txt: `<case id>  # reason`, one per line; `#` lines and blanks ignored. */
export function parseKnownFailures(text: string): Map<string, string> {
  const known = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const hash = line.indexOf('#');
    const id = (hash >= 0 ? line.slice(0, hash) : line).trim();
    const reason = hash >= 0 ? line.slice(hash + 1).trim() : '';
    known.set(id, reason);
  }
  return known;
}

export function readKnownFailures(path: string): Map<string, string> {
  return existsSync(path) ? parseKnownFailures(readFileSync(path, 'utf8')) : new Map();
}

const KNOWN_FAILURES_HEADER = `# Conformance cases our evaluator does not pass yet: \`<feature>/<case>  # reason\`.
# This list only shrinks. A listed case that fails is reported but does not fail the run; a
# listed case that passes fails the run until its line is deleted. Never add a line by hand to
# hide a regression: fix it. KCLGUARD_WRITE_KNOWN_FAILURES=1 rewrites this file from the current
# state; it is meant for the first baseline or a deliberately accepted regression, and CI never
# sets it. See docs/conformance.md.
`;

export function formatKnownFailures(failures: ReadonlyMap<string, string>): string {
  const lines = [...failures.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, reason]) => `${id}  # ${oneLine(reason)}`);
  return KNOWN_FAILURES_HEADER + lines.join('\n') + (lines.length > 0 ? '\n' : '');
}

export function writeKnownFailures(path: string, failures: ReadonlyMap<string, string>): void {
  writeFileSync(path, formatKnownFailures(failures));
}

/** Reasons are kept short and on one line so the list stays reviewable. */
export function oneLine(reason: string, max = 120): string {
  const flat = reason.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
