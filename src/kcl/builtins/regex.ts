/**
 * The `regex` system module. The reference uses Rust's fancy-regex; patterns are translated to
 * JavaScript RegExp once and cached. Semantics kept from the reference (kcl-lib 0.13.2):
 * `match` is an unanchored search (like `search`), `split(s, p, maxsplit)` returns only the first
 * `maxsplit` pieces, replacement strings use Rust's `$1` / `${name}` / `$$` syntax (where `$1x`
 * names the group "1x"), `compile` only reports whether a pattern is valid.
 *
 * Translation: `(?P<n>` -> `(?<n>`, leading inline flags `(?ims)` -> RegExp flags, `\A`/`\z` ->
 * `^`/`$`, `\d`/`\D` -> Unicode decimal digits, as Rust's are. Not translatable (an error, code
 * E3M38): scoped flag groups `(?i:...)`, atomic/possessive groups and class set operations.
 */
import { KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';

const CACHE_LIMIT = 512;
const cache = new Map<string, RegExp | Error>();

function translate(pattern: string): { source: string; flags: string } {
  let source = pattern;
  let flags = '';
  const lead = /^\(\?([imsxU]+)\)/.exec(source);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'x') throw new Error('verbose mode (?x) is not supported');
      if (f === 'U') throw new Error('swap-greed mode (?U) is not supported');
      if (!flags.includes(f)) flags += f;
    }
    source = source.slice(lead[0].length);
  }
  if (/\(\?[imsxU-]+[:)]/.test(source)) throw new Error('inline flag groups are only supported at the start');
  if (/\(\?>|[*+?}]\+/.test(source)) throw new Error('atomic groups and possessive quantifiers are not supported');
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && i + 1 < source.length) {
      const n = source[i + 1];
      i++;
      if (n === 'A' && !inClass) out += '^';
      else if (n === 'z' && !inClass) out += '$';
      else if (n === 'd') out += '\\p{Nd}';
      else if (n === 'D') out += '\\P{Nd}';
      else out += `\\${n}`;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      if (c === '&' && source[i + 1] === '&') throw new Error('class set operations are not supported');
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') out += `\\${source[++i]}`;
      continue;
    }
    if (c === '(' && source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    out += c;
  }
  return { source: out, flags };
}

/** The compiled RegExp for a pattern (global, so every use must reset lastIndex), or the error. */
export function compilePattern(pattern: string): RegExp | Error {
  let re = cache.get(pattern);
  if (re === undefined) {
    try {
      const { source, flags } = translate(pattern);
      try {
        re = new RegExp(source, `${flags}gu`);
      } catch {
        // Some escapes Rust accepts are invalid in Unicode mode; retry without it.
        re = new RegExp(source.replace(/\\p\{Nd\}/g, '\\d').replace(/\\P\{Nd\}/g, '\\D'), `${flags}g`);
      }
    } catch (e) {
      re = e instanceof Error ? e : new Error(String(e));
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(pattern, re);
  }
  return re;
}

function regexArg(a: Args, i: number): RegExp {
  const pattern = a.str(i);
  const re = compilePattern(pattern);
  if (re instanceof Error) throw a.fail(`invalid regular expression '${pattern}': ${re.message}`);
  re.lastIndex = 0;
  return re;
}

function search(a: Args): boolean {
  const s = a.str(0);
  const re = regexArg(a, 1);
  return re.test(s);
}

/** Rust regex replacement syntax: `$name`/`${name}` (name = longest [_0-9A-Za-z]+), `$$`. */
function expandReplacement(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([^}]*)\}|([_0-9A-Za-z]+))/g, (whole, _all, braced, bare) => {
    if (whole === '$$') return '$';
    const name: string = braced ?? bare;
    if (name === undefined) return whole;
    const group = /^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name];
    return group ?? '';
  });
}

function replace(a: Args): string {
  const s = a.str(0);
  const re = regexArg(a, 1);
  const template = a.str(2);
  const count = a.optInt(3) ?? 0;
  let out = '';
  let last = 0;
  let n = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (count > 0 && n >= count) break;
    out += s.slice(last, m.index) + expandReplacement(template, m);
    last = m.index + m[0].length;
    n++;
    if (m[0] === '') re.lastIndex = advance(s, re.lastIndex);
    a.ctx.step();
  }
  return out + s.slice(last);
}

/** Steps over one code point after an empty match so the scan always moves forward. */
function advance(s: string, index: number): number {
  const cp = s.codePointAt(index);
  return index + (cp !== undefined && cp > 0xffff ? 2 : 1);
}

function findall(a: Args): Value[] {
  const s = a.str(0);
  const re = regexArg(a, 1);
  const out: Value[] = [];
  for (let m = re.exec(s); m; m = re.exec(s)) {
    // As in the reference: with two or more groups each match is the list of its groups,
    // otherwise (no group or one) the whole match.
    if (m.length <= 2) {
      out.push(m[0]);
    } else {
      const groups = m.slice(1);
      if (groups.some((g) => g === undefined)) throw a.fail('a group of the pattern did not participate in the match');
      out.push(groups as string[]);
    }
    if (m[0] === '') re.lastIndex = advance(s, re.lastIndex);
    a.ctx.step();
  }
  return out;
}

function split(a: Args): string[] {
  const s = a.str(0);
  const re = regexArg(a, 1);
  const maxsplit = a.optInt(2) ?? 0;
  const pieces: string[] = [];
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m[0] === '') {
      re.lastIndex = advance(s, re.lastIndex);
      if (m.index === 0 || m.index >= s.length) continue;
    }
    pieces.push(s.slice(last, m.index));
    last = m.index + m[0].length;
    a.ctx.step();
  }
  pieces.push(s.slice(last));
  return maxsplit > 0 ? pieces.slice(0, maxsplit) : pieces;
}

export function regexModule(): KModule {
  return new KModule(
    'regex',
    new Map<string, Value>([
      member('regex', 'match', ['string', 'pattern'], search),
      member('regex', 'search', ['string', 'pattern'], search),
      member('regex', 'replace', ['string', 'pattern', 'replace', 'count'], replace),
      member('regex', 'findall', ['string', 'pattern'], findall),
      member('regex', 'split', ['string', 'pattern', 'maxsplit'], split),
      member('regex', 'compile', ['pattern'], (a) => !(compilePattern(a.str(0)) instanceof Error)),
    ]),
  );
}
