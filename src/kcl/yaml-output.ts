/**
 * YAML exactly as `kcl run` prints it (and `yaml.encode` returns it). The reference serialises
 * with serde_yaml over libyaml, plus its own rule for strings that must be quoted; this module
 * reproduces those choices, checked against kcl-lib 0.13.2:
 *   - block style, two-space indent, sequences inside a mapping not indented (`a:\n- 1`),
 *     empty collections as `{}` / `[]`, no line folding however long a line is;
 *   - a string is plain unless libyaml forbids it (indicators, `: `, ` #`, leading/trailing
 *     blanks ...) or it could read as another type: then single quotes; control characters
 *     (tab included) force double quotes with escapes; strings with a newline use a literal
 *     block (`|`, `|-`, `|+`, `|2-` when it starts with a blank) unless trailing spaces forbid it;
 *   - a string "could read as another type" when it is empty, `~`, a case-insensitive
 *     y/yes/n/no/true/false/on/off/null/nan, or starts with a digit, `.`, `+` or `-`;
 *   - ints as written, floats in ryu's format (`1.0`, `1e20`, `0.00001`) after the reference's
 *     inexact JSON round trip (jsonReparsedFloat), unit numbers as the float they stand for
 *     (`1Gi` -> `1073741824.0`), None as `null`;
 *   - Undefined, functions, schema types and modules are left out; `_` keys are hidden unless
 *     asked for; keys longer than 128 characters or with a newline use the `? key` form.
 */
import { compareStrings } from './compare.js';
import { formatFloatForOutput, formatInt, jsonReparsedFloat } from './display.js';
import { isDropped } from './convert.js';
import { KDict, KFloat, KUnit, SchemaInstance, UNDEFINED, type Value } from './value.js';
import { unlimitedText, type TextBudget } from './budget.js';

export interface YamlOutputOptions {
  /** Sort the keys of every mapping (`--sort_keys`). */
  readonly sortKeys?: boolean;
  /** Keep `_`-prefixed keys inside dicts and schema instances (`--show_hidden`). */
  readonly showHidden?: boolean;
  /** Leave out None values (`-n` / `--disable_none`, `ignore_none=True`). */
  readonly disableNone?: boolean;
}

/**
 * One YAML document for a value, ending in a newline (`yaml.encode`). The text is measured
 * while it is written: past the budget's limit it stops with K9004 (the default has no limit,
 * for output printed after a run).
 */
export function renderYaml(value: Value, opts: YamlOutputOptions = {}, budget: TextBudget = unlimitedText()): string {
  const e = new Emitter(opts, budget);
  return e.document(value);
}

/**
 * The output of `kcl run` for the exported top-level variables (in order; the caller has already
 * chosen which names are exported). No exports print as `{}`.
 */
export function renderExports(exports: Map<string, Value>, opts: YamlOutputOptions = {}): string {
  return renderYaml(new KDict(exports), opts);
}

/**
 * A stream of documents separated by `---`, as `kcl run` prints a top-level list of configs.
 * An empty stream is the empty string.
 */
export function renderYamlStream(docs: readonly Value[], opts: YamlOutputOptions = {}, budget?: TextBudget): string {
  return renderDocuments(docs, '---\n', opts, budget);
}

/** `yaml.encode_all`: like a stream, with a blank line before each separator. */
export function renderYamlAll(docs: readonly Value[], opts: YamlOutputOptions = {}, budget?: TextBudget): string {
  return renderDocuments(docs, '\n---\n', opts, budget);
}

/** Documents joined by `separator`, all of it counted against one budget. */
export function renderDocuments(docs: readonly Value[], separator: string, opts: YamlOutputOptions, budget: TextBudget = unlimitedText()): string {
  const parts: string[] = [];
  for (const d of docs) {
    if (parts.length > 0) budget.add(separator.length);
    parts.push(renderYaml(d, opts, budget));
  }
  return parts.join(separator);
}

type Entries = [string, Value][];

/** Characters of a string analysed for quoting per step charged. */
const ANALYSIS_CHARS_PER_STEP = 16;

/** Lines of output, each counted (with its line break) against the budget as it is added. */
class Lines {
  readonly lines: string[] = [];
  constructor(private readonly budget: TextBudget) {}
  push(...lines: string[]): void {
    for (const line of lines) {
      this.budget.add(line.length + 1);
      this.lines.push(line);
    }
  }
}

class Emitter {
  constructor(
    private readonly opts: YamlOutputOptions,
    private readonly budget: TextBudget,
  ) {}

  document(value: Value): string {
    if (value === UNDEFINED) {
      this.budget.add(5);
      return 'null\n';
    }
    const out = new Lines(this.budget);
    if (this.isBlockCollection(value)) {
      this.block(value, 0, out);
    } else {
      const s = this.scalar(value, 2);
      out.push(s.head, ...s.body);
    }
    return out.lines.join('\n') + '\n';
  }

  private entries(v: KDict | SchemaInstance): Entries {
    const source = v instanceof KDict ? v.entries : v.attrs;
    this.budget.work(source.size);
    const out: Entries = [];
    for (const [k, item] of source) {
      if (isDropped(item, { dropNone: this.opts.disableNone })) continue;
      if (!this.opts.showHidden && k.startsWith('_')) continue;
      out.push([k, item]);
    }
    if (this.opts.sortKeys) out.sort((a, b) => compareStrings(a[0], b[0]));
    return out;
  }

  private items(v: Value[]): Value[] {
    this.budget.work(v.length);
    return v.filter((x) => !isDropped(x, { dropNone: this.opts.disableNone }));
  }

  /** A non-empty mapping or sequence, written in block style. */
  private isBlockCollection(v: Value): boolean {
    if (Array.isArray(v)) return this.items(v).length > 0;
    if (v instanceof KDict || v instanceof SchemaInstance) return this.entries(v).length > 0;
    return false;
  }

  /** Appends the lines of a block collection whose entries start at column `indent`. */
  private block(v: Value, indent: number, out: Lines): void {
    const pad = ' '.repeat(indent);
    if (Array.isArray(v)) {
      for (const item of this.items(v)) {
        if (this.isBlockCollection(item)) {
          // The first line of the nested block moves up onto the `- ` line: same length.
          const at = out.lines.length;
          this.block(item, indent + 2, out);
          out.lines[at] = `${pad}- ${out.lines[at].slice(indent + 2)}`;
        } else {
          const s = this.scalar(item, indent + 2);
          out.push(`${pad}- ${s.head}`, ...s.body);
        }
      }
      return;
    }
    for (const [k, item] of this.entries(v as KDict | SchemaInstance)) {
      const key = this.scalar(k, indent + 2);
      // libyaml writes a key as a simple key only when it is one line of at most 128 bytes.
      const complexKey = Buffer.byteLength(k) > 128 || /[\n\r\u0085\u2028\u2029]/.test(k);
      let prefix: string;
      if (complexKey) {
        out.push(`${pad}? ${key.head}`, ...key.body);
        prefix = `${pad}:`;
      } else {
        prefix = `${pad}${key.head}:`;
      }
      if (this.isBlockCollection(item)) {
        out.push(prefix);
        // libyaml writes a sequence that is a mapping value without extra indentation.
        this.block(item, Array.isArray(item) ? indent : indent + 2, out);
      } else {
        const s = this.scalar(item, indent + 2);
        out.push(`${prefix} ${s.head}`, ...s.body);
      }
    }
  }

  /** A scalar (or empty collection): its first line and, for literal blocks, the content lines. */
  private scalar(v: Value, contentIndent: number): { head: string; body: string[] } {
    if (typeof v === 'string') {
      // Checked before the string is analysed and its lines indented (a literal block adds
      // the indent to each of its lines); the lines are counted exactly when pushed.
      this.budget.ensure(v.length + countLines(v) * contentIndent);
      // libyaml's scalar analysis looks at every character (about 100 ns each here).
      this.budget.work(Math.ceil(v.length / ANALYSIS_CHARS_PER_STEP));
      return formatString(v, contentIndent);
    }
    if (v === null) return { head: 'null', body: [] };
    if (typeof v === 'boolean') return { head: v ? 'true' : 'false', body: [] };
    if (typeof v === 'number' || typeof v === 'bigint') return { head: formatInt(v), body: [] };
    // The reference goes through JSON values, where NaN and infinities become null and a float
    // is read back inexactly (jsonReparsedFloat).
    if (v instanceof KFloat) return { head: Number.isFinite(v.value) ? formatFloatForOutput(jsonReparsedFloat(v.value)) : 'null', body: [] };
    if (v instanceof KUnit) return { head: formatFloatForOutput(jsonReparsedFloat(v.value * v.multiplier)), body: [] };
    if (Array.isArray(v)) return { head: '[]', body: [] };
    return { head: '{}', body: [] };
  }
}

// ---------------------------------------------------------------------------------------------
// Strings

const AMBIGUOUS_WORDS = new Set(['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null', 'nan']);

/** The reference quotes strings that a YAML reader could take for null, a bool or a number. */
function looksLikeOtherType(s: string): boolean {
  if (s === '' || s === '~') return true;
  if (AMBIGUOUS_WORDS.has(s.toLowerCase())) return true;
  return /^[0-9.+-]/.test(s);
}

function countLines(s: string): number {
  let n = 0;
  for (let at = s.indexOf('\n'); at >= 0; at = s.indexOf('\n', at + 1)) n++;
  return n;
}

function isBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
}

/** libyaml's IS_PRINTABLE (plus the astral planes, which the reference prints raw). */
function isPrintable(c: number): boolean {
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) ||
    c >= 0x10000
  );
}

function isBlankOrEnd(c: number | undefined): boolean {
  return c === undefined || c === 0x20 || c === 0x09 || isBreak(c);
}

interface Analysis {
  plainAllowed: boolean;
  singleAllowed: boolean;
  blockAllowed: boolean;
}

/** libyaml's yaml_emitter_analyze_scalar, for block context. */
function analyze(s: string): Analysis {
  const cps = Array.from(s, (ch) => ch.codePointAt(0)!);
  let blockIndicators = false;
  let special = false;
  let lineBreaks = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (s.startsWith('---') || s.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    const ch = String.fromCodePoint(c);
    const followedByWhitespace = isBlankOrEnd(cps[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(c)) special = true;
    if (isBreak(c)) lineBreaks = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = c === 0x20 || c === 0x09 || isBreak(c);
  }
  let plainAllowed = true;
  let singleAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) plainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) plainAllowed = singleAllowed = false;
  if (spaceBreak || special) plainAllowed = singleAllowed = blockAllowed = false;
  if (lineBreaks) plainAllowed = false;
  if (blockIndicators) plainAllowed = false;
  return { plainAllowed, singleAllowed, blockAllowed };
}

function formatString(s: string, contentIndent: number): { head: string; body: string[] } {
  const a = analyze(s);
  if (s.includes('\n')) {
    if (a.blockAllowed) return literal(s, contentIndent);
    return { head: doubleQuoted(s), body: [] };
  }
  // Unicode line separators would need libyaml's multi-line single-quoted form; double quotes
  // say the same thing on one line.
  if (/[\r\u0085\u2028\u2029]/.test(s)) return { head: doubleQuoted(s), body: [] };
  const wantSingle = looksLikeOtherType(s) || !a.plainAllowed;
  if (!wantSingle) return { head: s, body: [] };
  if (a.singleAllowed) return { head: `'${s.replace(/'/g, "''")}'`, body: [] };
  return { head: doubleQuoted(s), body: [] };
}

function literal(s: string, contentIndent: number): { head: string; body: string[] } {
  const first = s.codePointAt(0)!;
  const indentHint = first === 0x20 || isBreak(first) ? '2' : '';
  let chomp: string;
  if (!s.endsWith('\n')) chomp = '-';
  else if (s === '\n' || s.endsWith('\n\n')) chomp = '+';
  else chomp = '';
  const content = chomp === '-' ? s : s.slice(0, -1);
  const pad = ' '.repeat(contentIndent);
  const body = content.split('\n').map((line) => (line === '' ? '' : pad + line));
  return { head: `|${indentHint}${chomp}`, body };
}

const NAMED_ESCAPES: Record<number, string> = {
  0x00: '\\0',
  0x07: '\\a',
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0b: '\\v',
  0x0c: '\\f',
  0x0d: '\\r',
  0x1b: '\\e',
  0x22: '\\"',
  0x5c: '\\\\',
  0x85: '\\N',
  0xa0: '\\_',
  0x2028: '\\L',
  0x2029: '\\P',
};

function hex(c: number, width: number): string {
  return c.toString(16).toUpperCase().padStart(width, '0');
}

/** libyaml's double-quoted writer (no folding: the reference's line width is unlimited). */
function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const needsEscape = !isPrintable(c) || c === 0xfeff || isBreak(c) || c === 0x22 || c === 0x5c;
    if (!needsEscape) {
      out += ch;
    } else if (NAMED_ESCAPES[c] !== undefined) {
      out += NAMED_ESCAPES[c];
    } else if (c <= 0xff) {
      out += `\\x${hex(c, 2)}`;
    } else if (c <= 0xffff) {
      out += `\\u${hex(c, 4)}`;
    } else {
      out += `\\U${hex(c, 8)}`;
    }
  }
  return out + '"';
}
