/**
 * The methods of KCL strings (`"a-b".split("-")`). Python semantics, with the reference's
 * (kcl-lib 0.13.2) differences kept: positions and `start`/`end` arguments of find/index/count/
 * startswith/endswith are UTF-8 byte offsets, `splitlines` breaks only at \n, \r\n and \r,
 * `split("")` splits around every character, `join` displays non-string items.
 */
import { STRING_BYTES, stepsForBytes, stepsForChars } from '../budget.js';
import { hasSurrogate } from '../compare.js';
import { displayValue } from '../display.js';
import { KFunction, type Value } from '../value.js';
import { builtin, type Args } from './args.js';
import { FormatError, formatString } from './format-spec.js';

type Method = (self: string, a: Args) => Value;

/** Python slice bounds on a length, with negative indices counted from the end. */
function bounds(len: number, start: number | undefined, end: number | undefined): [number, number] {
  const norm = (i: number) => (i < 0 ? Math.max(0, len + i) : Math.min(i, len));
  return [start === undefined ? 0 : norm(start), end === undefined ? len : norm(end)];
}

/**
 * A field's width in a format string (`{:>20}`, `{0:*^8.2f}`), for the size guardrail. With the
 * `u` flag the fill is one code point: a fill outside the BMP is two UTF-16 units, and without
 * it the width went unseen.
 */
const FORMAT_WIDTH = /\{[^{}:]*:(?:([^{}])?[<>=^])?[-+ ]?#?0?(\d+)/gu;
/** A numeric field's precision (`{:.2f}`), which pads with that many digits; `s` truncates instead. */
const FORMAT_PRECISION = /\{[^{}:]*:[^{}]*?\.(\d+)[^{}s]?\}/g;

/** How many replacements `replace(old, ..., count)` makes (an empty `old` matches between characters). */
function replacementCount(s: string, old: string, count: number): number {
  const limit = count < 0 ? Infinity : count;
  if (old === '') return Math.min(limit, Array.from(s).length + 1);
  let n = 0;
  for (let at = s.indexOf(old); at >= 0 && n < limit; at = s.indexOf(old, at + old.length)) n++;
  return n;
}

/** The byte range [start, end) of a call's optional start/end arguments. */
function byteSlice(self: string, a: Args, first: number): { buf: Buffer; from: number; to: number } {
  const buf = Buffer.from(self, 'utf8');
  const [from, to] = bounds(buf.length, a.optInt(first), a.optInt(first + 1));
  return { buf, from, to };
}

function findIn(self: string, a: Args, fromRight: boolean): number {
  const sub = Buffer.from(a.str(0), 'utf8');
  const { buf, from, to } = byteSlice(self, a, 1);
  if (to < from || to - from < sub.length) return -1;
  const window = buf.subarray(from, to);
  const at = fromRight ? window.lastIndexOf(sub) : window.indexOf(sub);
  return at < 0 ? -1 : at + from;
}

function countIn(self: string, a: Args): number {
  const sub = Buffer.from(a.str(0), 'utf8');
  const { buf, from, to } = byteSlice(self, a, 1);
  if (to < from) return 0;
  const window = buf.subarray(from, to);
  if (sub.length === 0) return Array.from(window.toString('utf8')).length + 1;
  let n = 0;
  for (let i = window.indexOf(sub); i >= 0; i = window.indexOf(sub, i + sub.length)) n++;
  return n;
}

function affix(self: string, a: Args, atEnd: boolean): boolean {
  const prefix = a.str(0);
  // Without start/end and without surrogates (a lone one encodes as U+FFFD, so two different
  // ones would compare equal as bytes), comparing code units is comparing UTF-8 bytes: the
  // common `image.startswith("registry/")` needs no Buffer.
  if (a.call.args.length === 1 && a.call.kwargs.size === 0 && !hasSurrogate(self) && !hasSurrogate(prefix)) {
    return atEnd ? self.endsWith(prefix) : self.startsWith(prefix);
  }
  const fix = Buffer.from(prefix, 'utf8');
  const { buf, from, to } = byteSlice(self, a, 1);
  if (to - from < fix.length) return false;
  const window = buf.subarray(from, to);
  const part = atEnd ? window.subarray(window.length - fix.length) : window.subarray(0, fix.length);
  return part.equals(fix);
}

const WHITESPACE = /\s/u;

function stripChars(self: string, chars: string | undefined, left: boolean, right: boolean): string {
  const cs = Array.from(self);
  // A set of the characters, not `chars.includes`: a long `chars` would make every character of
  // `self` a scan of it (len(self) x len(chars) work in one builtin call).
  const set = chars === undefined ? undefined : new Set(chars);
  const drop = set === undefined ? (c: string) => WHITESPACE.test(c) : (c: string) => set.has(c);
  let i = 0;
  let j = cs.length;
  if (left) while (i < j && drop(cs[i])) i++;
  if (right) while (j > i && drop(cs[j - 1])) j--;
  return cs.slice(i, j).join('');
}

function stripArg(a: Args): string | undefined {
  const v = a.get(0);
  return typeof v === 'string' ? v : undefined;
}

function splitWhitespace(self: string, maxsplit: number, fromRight: boolean): string[] {
  // One forward scan for the words' positions: anchored patterns like /\s+$/ or /\s+(\S+)$/
  // backtrack over a run of whitespace from each of its positions (quadratic in the run).
  // The reference splits at ASCII whitespace only (space, \t, \n, \r, \f, \v), not at U+00A0,
  // U+0085, U+3000 or \x1c-\x1f as Python does.
  const starts: number[] = [];
  const ends: number[] = [];
  const word = /[^ \t\n\r\f\v]+/g;
  for (let m = word.exec(self); m; m = word.exec(self)) {
    starts.push(m.index);
    ends.push(m.index + m[0].length);
  }
  const n = starts.length;
  if (maxsplit < 0 || n <= maxsplit + 1) return starts.map((at, i) => self.slice(at, ends[i]));
  // The unsplit remainder is kept verbatim (inner whitespace preserved), trimmed only on the
  // side the splitting came from.
  if (fromRight) {
    const out = [self.slice(0, ends[n - maxsplit - 1])];
    for (let i = n - maxsplit; i < n; i++) out.push(self.slice(starts[i], ends[i]));
    return out;
  }
  const out: string[] = [];
  for (let i = 0; i < maxsplit; i++) out.push(self.slice(starts[i], ends[i]));
  out.push(self.slice(starts[maxsplit]));
  return out;
}

function splitSep(self: string, sep: string, maxsplit: number, fromRight: boolean): string[] {
  // The reference (Rust's splitn) splits an empty separator around every character, with an
  // empty string at both ends; maxsplit then counts those splits like any others.
  const pieces = sep === '' ? ['', ...Array.from(self), ''] : self.split(sep);
  if (maxsplit < 0 || pieces.length <= maxsplit + 1) return pieces;
  if (fromRight) {
    const keep = pieces.length - maxsplit;
    return [pieces.slice(0, keep).join(sep), ...pieces.slice(keep)];
  }
  return [...pieces.slice(0, maxsplit), pieces.slice(maxsplit).join(sep)];
}

function split(self: string, a: Args, fromRight: boolean): string[] {
  const sep = a.get(0);
  const maxsplit = a.optInt(1) ?? -1;
  if (sep === undefined || sep === null) return splitWhitespace(self, maxsplit, fromRight);
  if (typeof sep !== 'string') throw a.typeError('str', sep);
  return splitSep(self, sep, maxsplit, fromRight);
}

function splitlines(self: string, keepends: boolean): string[] {
  const out: string[] = [];
  const re = /\r\n|\r|\n/g;
  let last = 0;
  for (let m = re.exec(self); m; m = re.exec(self)) {
    out.push(self.slice(last, keepends ? m.index + m[0].length : m.index));
    last = m.index + m[0].length;
  }
  if (last < self.length) out.push(self.slice(last));
  return out;
}

function replace(self: string, old: string, replacement: string, count: number): string {
  if (count === 0) return self;
  if (old === '') {
    const chars = Array.from(self);
    let out = '';
    let n = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (count < 0 || n < count) {
        out += replacement;
        n++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  if (count < 0) return self.split(old).join(replacement);
  let out = '';
  let rest = self;
  for (let n = 0; n < count; n++) {
    const at = rest.indexOf(old);
    if (at < 0) break;
    out += rest.slice(0, at) + replacement;
    rest = rest.slice(at + old.length);
  }
  return out + rest;
}

const isUpperChar = (c: string) => c !== c.toLowerCase() && c === c.toUpperCase();
const isLowerChar = (c: string) => c !== c.toUpperCase() && c === c.toLowerCase();

/**
 * Python's title(): the first letter of each run of letters in title case, the others in lower
 * case. A run at a time (one regular expression scan), not a test and a concatenation per
 * character.
 */
function title(self: string): string {
  return self.replace(/\p{L}+/gu, (word) => {
    const first = String.fromCodePoint(word.codePointAt(0)!);
    const rest = word.slice(first.length);
    // Lower case per character: a whole-string toLowerCase would give a word-final capital
    // sigma its final form (ς), which a character on its own does not take.
    const lower = rest.includes('\u03A3') ? Array.from(rest, (c) => c.toLowerCase()).join('') : rest.toLowerCase();
    return titleCaseChar(first) + lower;
  });
}

const TITLE_DIGRAPHS: Readonly<Record<string, string>> = {
  'ǆ': 'ǅ', 'Ǆ': 'ǅ', 'ǅ': 'ǅ', 'ǉ': 'ǈ', 'Ǉ': 'ǈ', 'ǈ': 'ǈ',
  'ǌ': 'ǋ', 'Ǌ': 'ǋ', 'ǋ': 'ǋ', 'ǳ': 'ǲ', 'Ǳ': 'ǲ', 'ǲ': 'ǲ',
};

/** Title case of one character (the digraphs ǆ/ǉ/ǌ/ǳ have their own title forms). */
function titleCaseChar(c: string): string {
  return Object.hasOwn(TITLE_DIGRAPHS, c) ? TITLE_DIGRAPHS[c]! : c.toUpperCase();
}

function istitle(self: string): boolean {
  let prevCased = false;
  let sawCased = false;
  for (const c of self) {
    if (/\p{Lu}|\p{Lt}/u.test(c)) {
      if (prevCased) return false;
      prevCased = true;
      sawCased = true;
    } else if (/\p{Ll}/u.test(c)) {
      if (!prevCased) return false;
      prevCased = true;
      sawCased = true;
    } else {
      prevCased = false;
    }
  }
  return sawCased;
}

function casedCheck(self: string, want: (c: string) => boolean, reject: (c: string) => boolean): boolean {
  let saw = false;
  for (const c of self) {
    if (reject(c)) return false;
    if (want(c)) saw = true;
  }
  return saw;
}

const DIGIT = /^[0-9\u00B2\u00B3\u00B9\u2070\u2074-\u2079\u2080-\u2089]+$/u;

const METHODS: Record<string, [readonly string[], Method]> = {
  capitalize: [[], (s) => {
    const cs = Array.from(s);
    return cs.length === 0 ? '' : cs[0].toUpperCase() + cs.slice(1).join('').toLowerCase();
  }],
  chars: [[], (s) => Array.from(s)],
  count: [['sub', 'start', 'end'], countIn],
  endswith: [['suffix', 'start', 'end'], (s, a) => affix(s, a, true)],
  startswith: [['prefix', 'start', 'end'], (s, a) => affix(s, a, false)],
  find: [['sub', 'start', 'end'], (s, a) => findIn(s, a, false)],
  rfind: [['sub', 'start', 'end'], (s, a) => findIn(s, a, true)],
  index: [['sub', 'start', 'end'], (s, a) => {
    const i = findIn(s, a, false);
    if (i < 0) throw a.fail('substring not found');
    return i;
  }],
  rindex: [['sub', 'start', 'end'], (s, a) => {
    const i = findIn(s, a, true);
    if (i < 0) throw a.fail('substring not found');
    return i;
  }],
  format: [[], (s, a) => {
    const budget = a.ctx.textBudget('str.format output');
    // A field width is a lower bound on the result's length: refuse a huge one before padding.
    // The padding is the fill repeated: a fill of two UTF-16 units doubles it.
    for (const m of s.matchAll(FORMAT_WIDTH)) budget.ensure(Number(m[2]) * (m[1]?.length ?? 1));
    for (const m of s.matchAll(FORMAT_PRECISION)) budget.ensure(Number(m[1]));
    try {
      return formatString(s, a.positional, a.call.kwargs, budget);
    } catch (e) {
      if (e instanceof FormatError) throw a.fail(e.message);
      throw e;
    }
  }],
  isalnum: [[], (s) => /^[\p{L}\p{N}]+$/u.test(s)],
  isalpha: [[], (s) => /^\p{L}+$/u.test(s)],
  isdigit: [[], (s) => DIGIT.test(s)],
  islower: [[], (s) => casedCheck(s, isLowerChar, (c) => isUpperChar(c) || /\p{Lt}/u.test(c))],
  isupper: [[], (s) => casedCheck(s, isUpperChar, (c) => isLowerChar(c) || /\p{Lt}/u.test(c))],
  isspace: [[], (s) => /^\s+$/u.test(s)],
  istitle: [[], istitle],
  join: [['iter'], (s, a) => {
    const items = a.list(0);
    const budget = a.ctx.textBudget('str.join output');
    budget.add(Math.max(0, items.length - 1) * s.length);
    return items.map((x) => displayValue(x, budget)).join(s);
  }],
  lower: [[], (s) => s.toLowerCase()],
  upper: [[], (s) => s.toUpperCase()],
  lstrip: [['chars'], (s, a) => stripChars(s, stripArg(a), true, false)],
  rstrip: [['chars'], (s, a) => stripChars(s, stripArg(a), false, true)],
  strip: [['chars'], (s, a) => stripChars(s, stripArg(a), true, true)],
  replace: [['old', 'new', 'count'], (s, a) => {
    const old = a.str(0);
    const replacement = a.str(1);
    const count = a.optInt(2) ?? -1;
    a.ctx.step(stepsForBytes(s.length));
    a.ctx.textBudget('str.replace output').ensure(s.length + replacementCount(s, old, count) * (replacement.length - old.length));
    return replace(s, old, replacement, count);
  }],
  removeprefix: [['prefix'], (s, a) => {
    const p = a.str(0);
    return s.startsWith(p) ? s.slice(p.length) : s;
  }],
  removesuffix: [['suffix'], (s, a) => {
    const p = a.str(0);
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  }],
  split: [['sep', 'maxsplit'], (s, a) => split(s, a, false)],
  rsplit: [['sep', 'maxsplit'], (s, a) => split(s, a, true)],
  splitlines: [['keepends'], (s, a) => splitlines(s, a.bool(0, false))],
  title: [[], title],
};

/** Methods doing per-character work in JavaScript (charged by stepsForChars). */
const PER_CHARACTER = new Set(['title', 'istitle', 'islower', 'isupper']);

export const STRING_METHOD_NAMES: readonly string[] = Object.keys(METHODS);

/** Method `name` bound to the string `self`, or undefined when strings have no such method. */
export function stringMethod(self: string, name: string): KFunction | undefined {
  if (!Object.prototype.hasOwnProperty.call(METHODS, name)) return undefined;
  const [params, impl] = METHODS[name];
  return builtin(name, params, (a) => {
    // Every method scans its receiver at least once; lists it returns are new containers of
    // pieces cut from it, each piece a string of its own on the heap (split, partition...).
    // Those that test or map each character in JavaScript pay per character.
    a.ctx.step(PER_CHARACTER.has(name) ? stepsForChars(self.length) : stepsForBytes(self.length));
    const result = impl(self, a);
    if (Array.isArray(result)) {
      a.ctx.checkContainer('list', result.length);
      a.ctx.allocate(result.length * STRING_BYTES);
    }
    return result;
  }, name === 'format');
}
