/**
 * The one place kclguard runs a regular expression written by a policy or taken from object
 * data: RE2 semantics (re2js, a maintained pure-JavaScript port of RE2), so matching is linear
 * in the input whatever the pattern — no catastrophic backtracking.
 *
 * The reference (kcl-lib 0.13.2) uses Rust's fancy-regex, i.e. Rust `regex` syntax plus
 * backtracking extensions. Patterns are translated from Rust syntax once and cached:
 *   - `\d`, `\w`, `\s` (and negations) are Unicode classes in Rust, ASCII in RE2: they are
 *     spelled out as Unicode property classes;
 *   - `(?x)` verbose mode at the start of a pattern: whitespace and `#` comments are removed;
 *   - `\uHHHH`, `\u{H...}`, `\UHHHHHHHH` become RE2's `\x{...}`;
 *   - lookbehind `(?<=...)` / `(?<!...)` runs on re2js's linear-time lookbehinds.
 * Constructs that need backtracking — lookahead, backreferences, atomic groups, possessive
 * quantifiers, conditionals, `\K` — and the few Rust features RE2 lacks (class set operations,
 * nested classes, `\W`/`\S` inside a class, `(?-u)`, `(?R)`, Unicode properties RE2 does not
 * know) are refused with RegexUnsupported, which the regex module reports as K9006 at the call.
 * `\b` / `\B` are ASCII-only in RE2: a pattern using them refuses (K9006) any input holding a
 * non-ASCII word character rather than give an answer Rust would not.
 *
 * Every character the engine reads is charged to the run (one step per BYTES_PER_STEP units of
 * characters read x program size), inside the engine, so a long match reaches the step and
 * time budgets as it runs and is stopped there (K9001/K9003).
 */
import { RE2JS } from 're2js';
import { BYTES_PER_STEP, NO_METER, STRING_BYTES, sizeError, type AllocMeter, type Meter } from '../budget.js';

/** A construct the linear-time engine cannot run (K9006 at the call). */
export class RegexUnsupported extends Error {}
/** A pattern that is not a valid regular expression (E3M38, as in the reference). */
export class RegexInvalid extends Error {}

/** Rust's `\w`: Alphabetic, marks, decimal digits, connector punctuation, join controls. */
const WORD = '\\p{L}\\p{Nl}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}\\x{24B6}-\\x{24E9}\\x{1F130}-\\x{1F149}\\x{1F150}-\\x{1F169}\\x{1F170}-\\x{1F189}';
/** Rust's `\s`: the Unicode White_Space property. */
const SPACE = '\\x{9}-\\x{D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}';
/** A word character outside ASCII: where RE2's ASCII `\b` and Rust's Unicode `\b` disagree. */
const NON_ASCII_WORD = /(?![\0-\x7f])[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;

export interface CompiledRegex {
  readonly re: RE2JS;
  /** The pattern uses `\b` or `\B`. */
  readonly wordBoundary: boolean;
  /** Work units per character read: the program's size (what one NFA step may touch). */
  readonly weight: number;
}

function unsupported(what: string): never {
  throw new RegexUnsupported(`${what} is not supported: kclguard runs regular expressions in linear time (RE2 semantics)`);
}

/**
 * The start of a character class at `i`: `[`, an optional `^`, and a `]` right after them,
 * which is a literal (in Rust and RE2 alike), not the end of the class.
 */
function classOpening(p: string, i: number): string {
  let end = i + 1;
  if (p[end] === '^') end++;
  if (p[end] === ']') end++;
  return p.slice(i, end);
}

/** Strips `(?x)` verbose-mode whitespace and comments (outside classes and escapes). */
function stripVerbose(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\' && i + 1 < p.length) {
      out += c + p[++i];
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      const open = classOpening(p, i);
      out += open;
      i += open.length - 1;
      continue;
    }
    if (c === '#') {
      while (i + 1 < p.length && p[i + 1] !== '\n') i++;
      continue;
    }
    if (/\s/.test(c)) continue;
    out += c;
  }
  return out;
}

/** `\u0041`, `\u{1F600}`, `\U0001F600` -> `\x{...}`, or undefined when not such an escape. */
function unicodeEscape(p: string, i: number): { text: string; end: number } | undefined {
  const m = /^\\(?:u\{([0-9A-Fa-f]{1,6})\}|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))/.exec(p.slice(i, i + 12));
  if (!m) return undefined;
  return { text: `\\x{${m[1] ?? m[2] ?? m[3]}}`, end: i + m[0].length };
}

interface Translation {
  source: string;
  wordBoundary: boolean;
}

/** Rust regex syntax -> RE2 syntax, refusing what a linear-time engine cannot do. */
export function translate(pattern: string): Translation {
  let p = pattern;
  const verbose = /^\(\?([a-zA-Z]*)\)/.exec(p);
  if (verbose && verbose[1]!.includes('x')) {
    const flags = verbose[1]!.replace(/x/g, '');
    p = (flags ? `(?${flags})` : '') + stripVerbose(p.slice(verbose[0].length));
  }
  let out = '';
  let wordBoundary = false;
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\' && i + 1 < p.length) {
      const n = p[i + 1]!;
      const uni = unicodeEscape(p, i);
      if (uni) {
        out += uni.text;
        i = uni.end - 1;
        continue;
      }
      i++;
      switch (n) {
        case 'd':
          out += '\\p{Nd}';
          continue;
        case 'D':
          out += '\\P{Nd}';
          continue;
        case 'w':
          out += inClass ? WORD : `[${WORD}]`;
          continue;
        case 's':
          out += inClass ? SPACE : `[${SPACE}]`;
          continue;
        case 'W':
        case 'S':
          if (inClass) unsupported(`\\${n} inside a character class`);
          out += `[^${n === 'W' ? WORD : SPACE}]`;
          continue;
        case 'b':
        case 'B':
          if (!inClass) {
            if (p[i + 1] === '{') unsupported(`\\${n}{...} word boundary assertions`);
            wordBoundary = true;
          }
          out += `\\${n}`;
          continue;
        case 'K':
        case 'G':
          unsupported(`\\${n}`);
          break;
        case 'k':
          unsupported('backreferences (\\k<name>)');
          break;
        case '<':
        case '>':
          unsupported(`\\${n} word boundary assertions`);
          break;
        default:
          if (n >= '1' && n <= '9' && !inClass) unsupported(`backreferences (\\${n})`);
          out += `\\${n}`;
          continue;
      }
    }
    if (inClass) {
      if (c === '[' && p[i + 1] === ':') {
        // A POSIX class `[:alpha:]` (ASCII in both flavours) is copied whole.
        const close = p.indexOf(':]', i + 2);
        if (close < 0) throw new RegexInvalid('unclosed character class');
        out += p.slice(i, close + 2);
        i = close + 1;
        continue;
      }
      if (c === ']') inClass = false;
      else if ((c === '&' || c === '-' || c === '~') && p[i + 1] === c && p[i + 2] !== ']') unsupported('character class set operations');
      else if (c === '[') unsupported('nested character classes');
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      const open = classOpening(p, i);
      out += open;
      i += open.length - 1;
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) unsupported('lookahead');
      if (rest.startsWith('>')) unsupported('atomic groups');
      if (rest.startsWith('(')) unsupported('conditionals');
      if (rest === 'P=' || rest === 'P>') unsupported('backreferences and recursion');
      const flags = /^\(\?([a-zA-Z-]*)([:)])/.exec(p.slice(i));
      if (flags) {
        const f = flags[1]!;
        if (/-[a-zA-Z]*u/.test(f)) unsupported('(?-u) (ASCII mode)');
        if (f.includes('R')) unsupported('(?R) (CRLF mode)');
        if (f.includes('x')) unsupported('(?x) verbose mode other than at the start of the pattern');
        // `u` (Unicode) is always on; RE2 does not know the letter.
        const kept = f.replace(/u/g, '');
        const empty = kept === '' || kept === '-';
        if (flags[2] === ':') out += empty ? '(?:' : `(?${kept}:`;
        else if (!empty) out += `(?${kept})`;
        i += flags[0].length - 1;
        continue;
      }
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && p[i + 1] === '+') unsupported('possessive quantifiers');
    out += c;
  }
  return { source: out, wordBoundary };
}

/**
 * Longest pattern compiled (K9004 beyond): compiling costs about a microsecond per character
 * in re2js and cannot be interrupted, so its size is capped (RE2 itself caps the program).
 */
export const MAX_PATTERN_LENGTH = 32 * 1024;
/** Compiled patterns kept, and their total length: a bound on the cache's memory. */
const CACHE_ENTRIES = 512;
const CACHE_CHARS = 256 * 1024;
const cache = new Map<string, CompiledRegex | RegexUnsupported | RegexInvalid>();
let cachedChars = 0;

/**
 * The compiled form of a pattern (cached), or throws RegexUnsupported / RegexInvalid. A pattern
 * compiled afresh costs one step per character; one longer than MAX_PATTERN_LENGTH is K9004.
 */
export function compileRegex(pattern: string, meter: Meter = NO_METER): CompiledRegex {
  let entry = cache.get(pattern);
  if (entry === undefined) {
    if (pattern.length > MAX_PATTERN_LENGTH) throw sizeError('regular expression', pattern.length, MAX_PATTERN_LENGTH);
    meter.step(pattern.length + 1);
    entry = compileUncached(pattern);
    remember(pattern, entry);
  }
  if (entry instanceof Error) throw entry;
  return entry;
}

function remember(pattern: string, entry: CompiledRegex | RegexUnsupported | RegexInvalid): void {
  cache.set(pattern, entry);
  cachedChars += pattern.length;
  while (cache.size > CACHE_ENTRIES || cachedChars > CACHE_CHARS) forget(cache.keys().next().value as string);
}

function compileUncached(pattern: string): CompiledRegex | RegexUnsupported | RegexInvalid {
  let t: Translation;
  try {
    t = translate(pattern);
  } catch (e) {
    if (e instanceof RegexUnsupported) return e;
    throw e;
  }
  try {
    const re = RE2JS.compile(t.source, RE2JS.LOOKBEHINDS);
    return { re, wordBoundary: t.wordBoundary, weight: Math.max(1, re.programSize()) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // A Unicode class RE2 does not know may well be one Rust knows (\p{Alphabetic}).
    if (/unicode class|character class range/i.test(message) && /\\[pP]/.test(t.source)) {
      return new RegexUnsupported(`${message.replace(/^error parsing regexp: /, '')}: RE2 knows Unicode general categories and scripts only`);
    }
    return new RegexInvalid(message.replace(/^error parsing regexp: /, ''));
  }
}

/** Drops a compiled pattern whose engine was interrupted mid-match (its caches may be torn). */
function forget(pattern: string): void {
  if (cache.delete(pattern)) cachedChars -= pattern.length;
}

/**
 * The subject as re2js reads it: a String object whose every character read is counted, and
 * charged to the meter in chunks. re2js accepts String objects; it reads only through
 * charCodeAt (plus native indexOf for literal prefixes, which is linear and fast).
 */
class MeteredText extends String {
  private units = 0;

  constructor(
    private readonly text: string,
    private readonly meter: Meter,
    private readonly weight: number,
  ) {
    super(text);
  }

  override charCodeAt(index: number): number {
    this.units += this.weight;
    if (this.units >= CHUNK_UNITS) this.charge();
    return this.text.charCodeAt(index);
  }

  private charge(): void {
    const steps = Math.floor(this.units / BYTES_PER_STEP);
    this.units -= steps * BYTES_PER_STEP;
    this.meter.step(steps);
  }
}

/** Work units gathered before the meter is called (a few steps' worth). */
const CHUNK_UNITS = 16 * BYTES_PER_STEP;

/** One match: where it is, and (when asked for) its groups. */
export interface RegexMatch {
  readonly start: number;
  readonly end: number;
  /** Group texts, index 0 the whole match; undefined for a group that did not participate. */
  readonly groups?: readonly (string | undefined)[];
  readonly named?: Readonly<Record<string, string | undefined>>;
}

/** Runs `body` against the metered subject; an interrupted engine is not reused. */
function metered<T>(pattern: string, text: string, meter: Meter, body: (c: CompiledRegex, subject: MeteredText) => T): T {
  const c = compileRegex(pattern, meter);
  if (c.wordBoundary) {
    meter.step(Math.ceil(text.length / BYTES_PER_STEP));
    if (NON_ASCII_WORD.test(text)) {
      unsupported('\\b / \\B on text with non-ASCII word characters (RE2 word boundaries are ASCII)');
    }
  }
  const subject = new MeteredText(text, meter, c.weight);
  try {
    return body(c, subject);
  } catch (e) {
    forget(pattern);
    throw e;
  }
}

/** Whether the pattern matches anywhere in `text` (the reference's `match` and `search`). */
export function regexTest(pattern: string, text: string, meter: Meter): boolean {
  return metered(pattern, text, meter, (c, subject) => c.re.test(subject as unknown as string));
}

/** The number of capturing groups of a pattern. */
export function regexGroupCount(pattern: string, meter: Meter): number {
  return compileRegex(pattern, meter).re.groupCount();
}

/**
 * The heap one recorded match holds (Node 20, x64): its record and slot (48 bytes), and with its
 * groups a list of them (48 + 8 per group) and each group's string (STRING_BYTES), the named
 * groups an object (64) with a slot and a string per name. Charged to the allocation budget as
 * each match is recorded: 500,000 matches of `(\w)(\w)` held 214 MB, while the budget counted 8.
 */
function matchBytes(groupCount: number, names: number, withGroups: boolean): number {
  if (!withGroups) return 48;
  const groups = 48 + (groupCount + 1) * (8 + STRING_BYTES);
  return 48 + groups + (names > 0 ? 64 + names * (16 + STRING_BYTES) : 0);
}

/**
 * The successive matches of the pattern in `text`, Rust's way: after an empty match the search
 * moves on one character, and an empty match right where the previous match ended is skipped.
 * `limit` stops after that many matches (0: all); `withGroups` also extracts the groups (which
 * costs a second, capturing pass of the engine over each match). Each match recorded is charged
 * to the allocation budget (matchBytes), so a text of millions of matches ends as K9004.
 */
export function regexMatches(pattern: string, text: string, meter: AllocMeter, withGroups: boolean, limit = 0): RegexMatch[] {
  return metered(pattern, text, meter, (c, subject) => {
    const m = c.re.matcher(subject as unknown as string);
    const groupCount = m.groupCount();
    const names = withGroups ? Object.keys(c.re.namedGroups()) : [];
    const bytes = matchBytes(groupCount, names.length, withGroups);
    const out: RegexMatch[] = [];
    let pos = 0;
    let lastEnd = -1;
    while (pos <= text.length && (limit === 0 || out.length < limit)) {
      if (!m.find(pos)) break;
      const start = m.start();
      const end = m.end();
      meter.step(1);
      if (start === end && start === lastEnd) {
        pos = nextChar(text, start);
        continue;
      }
      meter.allocate(bytes);
      if (withGroups) {
        const groups: (string | undefined)[] = new Array(groupCount + 1);
        for (let g = 0; g <= groupCount; g++) groups[g] = m.group(g) ?? undefined;
        if (names.length > 0) {
          const named: Record<string, string | undefined> = {};
          for (const name of names) named[name] = m.group(name) ?? undefined;
          out.push({ start, end, groups, named });
        } else {
          out.push({ start, end, groups });
        }
      } else {
        out.push({ start, end });
      }
      lastEnd = end;
      pos = start === end ? nextChar(text, end) : end;
    }
    return out;
  });
}

/** The index after the character at `index` (a surrogate pair is one character). */
function nextChar(s: string, index: number): number {
  const cp = s.codePointAt(index);
  return index + (cp !== undefined && cp > 0xffff ? 2 : 1);
}

