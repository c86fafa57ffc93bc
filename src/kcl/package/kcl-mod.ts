/**
 * `kcl.mod`, the package manifest (TOML), as far as compiling needs it: `[package]` name and
 * version, `[dependencies]` and `[profile] entries`. The parser reads the TOML subset kcl.mod
 * files use (tables, `key = value` with strings, numbers, booleans, arrays and inline tables,
 * comments) and reports anything else as an error at kcl.mod:line:col rather than guessing.
 *
 * Dependency forms (as `kcl mod add` writes them):
 *   k8s = "1.31"                                   registry package at a version
 *   k8s = { oci = "oci://ghcr.io/kcl-lang/k8s", tag = "1.31" }
 *   konfig = { git = "https://...", tag = "v0.4.0" }
 *   helper = { path = "../helper" }                local directory (relative to the package root)
 */
import { diagnostic, type Diagnostic } from '../diagnostics.js';
import { span } from '../span.js';

export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };

export interface Dependency {
  readonly name: string;
  /** `name = "1.31"` or the `version`/`tag` of a table form. */
  readonly version?: string;
  readonly path?: string;
  readonly oci?: string;
  readonly git?: string;
  readonly tag?: string;
}

export interface KclMod {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies: ReadonlyMap<string, Dependency>;
  /** `[profile] entries`: files of the package to run instead of the root's `.k` files. */
  readonly entries: readonly string[];
}

export type KclModResult = { readonly ok: true; readonly mod: KclMod } | { readonly ok: false; readonly diagnostics: Diagnostic[] };

class TomlError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

/** A table without a prototype: a key such as `__proto__` in a hostile kcl.mod is only data. */
function emptyTable(): { [key: string]: TomlValue } {
  return Object.create(null) as { [key: string]: TomlValue };
}

/** Arrays and inline tables nest no deeper than this (a hostile kcl.mod must not overflow the stack). */
const MAX_NESTING = 32;

/** A minimal TOML reader for the forms kcl.mod uses. */
class TomlReader {
  private depth = 0;
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  private fail(message: string): never {
    throw new TomlError(message, this.line, this.pos - this.lineStart + 1);
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  private skipSpaces(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '#') while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
      else if (c === '\n' && newlines) this.newline();
      else return;
    }
  }

  private newline(): void {
    this.pos++;
    this.line++;
    this.lineStart = this.pos;
  }

  private endOfLine(): void {
    this.skipSpaces(false);
    if (this.pos >= this.text.length) return;
    if (this.peek() !== '\n') this.fail(`expected the end of the line, found '${this.peek()}'`);
    this.newline();
  }

  private key(): string {
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    const m = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a key, found '${c || 'end of file'}'`);
    this.pos += m[0].length;
    return m[0];
  }

  private string(): string {
    const quote = this.peek();
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n') this.fail('unterminated string');
      this.pos++;
      if (c === quote) return out;
      if (c === '\\' && quote === '"') {
        const e = this.peek();
        this.pos++;
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f' };
        if (e in simple) out += simple[e];
        else if (e === 'u' || e === 'U') {
          const len = e === 'u' ? 4 : 8;
          const hex = this.text.slice(this.pos, this.pos + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('invalid unicode escape');
          out += String.fromCodePoint(parseInt(hex, 16));
          this.pos += len;
        } else this.fail(`invalid escape '\\${e}'`);
      } else out += c;
    }
  }

  private value(): TomlValue {
    if (++this.depth > MAX_NESTING) this.fail(`values nest deeper than ${MAX_NESTING} levels`);
    try {
      return this.valueInner();
    } finally {
      this.depth--;
    }
  }

  private valueInner(): TomlValue {
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === '[') {
      this.pos++;
      const items: TomlValue[] = [];
      for (;;) {
        this.skipSpaces(true);
        if (this.peek() === ']') break;
        items.push(this.value());
        this.skipSpaces(true);
        if (this.peek() === ',') this.pos++;
        else if (this.peek() !== ']') this.fail(`expected ',' or ']' in an array`);
      }
      this.pos++;
      return items;
    }
    if (c === '{') {
      this.pos++;
      const table = emptyTable();
      this.skipSpaces(false);
      if (this.peek() === '}') {
        this.pos++;
        return table;
      }
      for (;;) {
        this.skipSpaces(false);
        this.keyValue(table);
        this.skipSpaces(false);
        if (this.peek() === ',') this.pos++;
        else if (this.peek() === '}') {
          this.pos++;
          return table;
        } else this.fail(`expected ',' or '}' in an inline table`);
      }
    }
    const m = /^(true|false|[+-]?[0-9][0-9_.eE+-]*)/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a value, found '${c || 'end of file'}'`);
    this.pos += m[0].length;
    if (m[0] === 'true' || m[0] === 'false') return m[0] === 'true';
    const n = Number(m[0].replace(/_/g, ''));
    if (Number.isNaN(n)) this.fail(`invalid number '${m[0]}'`);
    return n;
  }

  /** `key = value` into a table; a key given twice is an error. */
  private keyValue(table: { [key: string]: TomlValue }): void {
    const k = this.key();
    this.skipSpaces(false);
    if (this.peek() !== '=') this.fail(`expected '=' after '${k}'`);
    this.pos++;
    this.skipSpaces(false);
    if (Object.prototype.hasOwnProperty.call(table, k)) this.fail(`duplicate key '${k}'`);
    table[k] = this.value();
  }

  read(): Map<string, { [key: string]: TomlValue }> {
    const tables = new Map<string, { [key: string]: TomlValue }>([['', emptyTable()]]);
    let current = tables.get('')!;
    for (;;) {
      this.skipSpaces(true);
      if (this.pos >= this.text.length) return tables;
      if (this.peek() === '[') {
        this.pos++;
        if (this.peek() === '[') this.fail('arrays of tables are not used in kcl.mod');
        this.skipSpaces(false);
        const parts = [this.key()];
        for (this.skipSpaces(false); this.peek() === '.'; this.skipSpaces(false)) {
          this.pos++;
          this.skipSpaces(false);
          parts.push(this.key());
        }
        if (this.peek() !== ']') this.fail(`expected ']' after the table name`);
        this.pos++;
        const name = parts.join('.');
        if (tables.has(name)) this.fail(`table [${name}] is defined twice`);
        tables.set(name, (current = emptyTable()));
        this.endOfLine();
        continue;
      }
      this.keyValue(current);
      this.endOfLine();
    }
  }
}

/** The tables of a TOML text, or a TomlError with line:col. */
export function parseToml(text: string): Map<string, { [key: string]: TomlValue }> {
  return new TomlReader(text).read();
}

function str(v: TomlValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * A dependency's name and version (or tag) become one directory of the program,
 * `<name>_<version>` (dependencyDirName, and where pulled packages are placed): each must stay one
 * path segment. A name or version holding `/` or `..` let a package anywhere in the dependency
 * tree place its files over the policy's own (`version = "1/../../../oci/registry/app"`).
 */
const DEPENDENCY_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DEPENDENCY_VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/;

/** A hostile value quoted in a message, at most 64 characters. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function dependencyOf(name: string, v: TomlValue): Dependency | string {
  if (!DEPENDENCY_NAME.test(name)) {
    return `dependency name ${quoted(name)} is not a package name (letters, digits, '_', '-' and '.', starting with a letter, a digit or '_')`;
  }
  const dep = dependencyFields(name, v);
  if (typeof dep === 'string') return dep;
  for (const field of ['version', 'tag'] as const) {
    const value = dep[field];
    if (value !== undefined && !DEPENDENCY_VERSION.test(value)) {
      return `dependency '${name}': ${field} ${quoted(value)} is not a version (letters, digits, '_', '-', '.' and '+', starting with a letter, a digit or '_')`;
    }
  }
  return dep;
}

function dependencyFields(name: string, v: TomlValue): Dependency | string {
  if (typeof v === 'string') return { name, version: v };
  if (typeof v !== 'object' || Array.isArray(v)) return `dependency '${name}' must be a version string or a table`;
  const dep: Dependency = {
    name,
    ...(str(v.version) !== undefined ? { version: str(v.version) } : {}),
    ...(str(v.path) !== undefined ? { path: str(v.path) } : {}),
    ...(str(v.oci) !== undefined ? { oci: str(v.oci) } : {}),
    ...(str(v.git) !== undefined ? { git: str(v.git) } : {}),
    ...(str(v.tag) !== undefined ? { tag: str(v.tag) } : {}),
  };
  if (!dep.path && !dep.oci && !dep.git && !dep.version) return `dependency '${name}' names no version, path, oci or git source`;
  return dep;
}

/** Parses kcl.mod; `file` is the name diagnostics carry. */
export function parseKclMod(text: string, file: string): KclModResult {
  let tables: Map<string, { [key: string]: TomlValue }>;
  try {
    tables = parseToml(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    return { ok: false, diagnostics: [diagnostic('E2F05', `invalid kcl.mod: ${e.message}`, span(file, e.line, e.col))] };
  }
  const at = span(file, 1, 1);
  const pkg = tables.get('package') ?? {};
  const dependencies = new Map<string, Dependency>();
  const problems: Diagnostic[] = [];
  for (const [name, value] of Object.entries(tables.get('dependencies') ?? {})) {
    const dep = dependencyOf(name, value);
    if (typeof dep === 'string') problems.push(diagnostic('E2F05', `invalid kcl.mod: ${dep}`, at));
    else dependencies.set(name, dep);
  }
  const rawEntries = tables.get('profile')?.entries;
  const entries = Array.isArray(rawEntries) ? rawEntries.filter((e): e is string => typeof e === 'string') : [];
  if (problems.length > 0) return { ok: false, diagnostics: problems };
  return {
    ok: true,
    mod: { ...(str(pkg.name) ? { name: str(pkg.name) } : {}), ...(str(pkg.version) ? { version: str(pkg.version) } : {}), dependencies, entries },
  };
}

/** The directory name the reference's package tooling gives a downloaded dependency: `k8s_1.31`. */
export function dependencyDirName(dep: Dependency): string {
  const version = dep.version ?? dep.tag;
  return version ? `${dep.name}_${version}` : dep.name;
}
