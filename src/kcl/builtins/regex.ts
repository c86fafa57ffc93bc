/**
 * The `regex` system module, on the linear-time engine of regex-engine.ts (RE2 semantics, Rust
 * syntax translated; what needs backtracking is K9006). Semantics kept from the reference
 * (kcl-lib 0.13.2): `match` is an unanchored search (like `search`), `split(s, p, maxsplit)`
 * returns only the first `maxsplit` pieces, replacement strings use Rust's `$1` / `${name}` /
 * `$$` syntax (where `$1x` names the group "1x"), `compile` only reports whether a pattern is
 * valid (and raises K9006 for one kclguard cannot run, rather than call it invalid), matches
 * are found Rust's way (an empty match right after a match is skipped).
 */
import { ELEMENT_BYTES, STRING_BYTES, stepsForBytes } from '../budget.js';
import { displayForMessage } from '../display.js';
import { KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';
import { RegexInvalid, RegexUnsupported, compileRegex, regexGroupCount, regexMatches, regexTest, type RegexMatch } from './regex-engine.js';

/** Runs `body`, turning the engine's refusals into diagnostics at the call. */
function withPattern<T>(a: Args, pattern: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof RegexUnsupported) throw a.error('K9006', `regular expression '${displayForMessage(pattern)}': ${e.message}`);
    if (e instanceof RegexInvalid) throw a.fail(`invalid regular expression '${displayForMessage(pattern)}': ${e.message}`);
    throw e;
  }
}

function search(a: Args): boolean {
  const s = a.str(0);
  const pattern = a.str(1);
  return withPattern(a, pattern, () => regexTest(pattern, s, a.ctx));
}

/** A replacement template, parsed once: literal text and group references (by number or name). */
type TemplatePart = string | { readonly group: number | string };

/**
 * Rust regex replacement syntax: `$name`/`${name}` (name = longest [_0-9A-Za-z]+), `$$`; a `$`
 * that starts neither is literal. One left-to-right scan: a `${` without a closing brace must
 * not rescan the rest of the template each time (a template of many `${` was quadratic).
 */
function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  // Where the next `}` is at or after some position: -1 once none is left, so every later
  // `${` without one is answered without a scan.
  let close = -2;
  const ref = (name: string): TemplatePart => ({ group: /^\d+$/.test(name) ? Number(name) : name });
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      literal += template.slice(i);
      break;
    }
    literal += template.slice(i, dollar);
    const next = template[dollar + 1];
    if (next === '$') {
      literal += '$';
      i = dollar + 2;
      continue;
    }
    if (next === '{') {
      if (close !== -1 && close < dollar + 2) close = template.indexOf('}', dollar + 2);
      if (close >= 0) {
        if (literal) parts.push(literal);
        literal = '';
        parts.push(ref(template.slice(dollar + 2, close)));
        i = close + 1;
        continue;
      }
    } else {
      let j = dollar + 1;
      while (j < template.length && /[_0-9A-Za-z]/.test(template[j]!)) j++;
      if (j > dollar + 1) {
        if (literal) parts.push(literal);
        literal = '';
        parts.push(ref(template.slice(dollar + 1, j)));
        i = j;
        continue;
      }
    }
    literal += '$';
    i = dollar + 1;
  }
  if (literal) parts.push(literal);
  return parts;
}

function expandReplacement(parts: readonly TemplatePart[], m: RegexMatch): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else out += (typeof p.group === 'number' ? m.groups?.[p.group] : m.named?.[p.group]) ?? '';
  }
  return out;
}

function replace(a: Args): string {
  const s = a.str(0);
  const pattern = a.str(1);
  const template = a.str(2);
  const count = a.optInt(3) ?? 0;
  const matches = withPattern(a, pattern, () => regexMatches(pattern, s, a.ctx, template.includes('$'), count > 0 ? count : 0));
  const budget = a.ctx.textBudget('regex.replace output');
  const expansion = parseTemplate(template);
  const parts: string[] = [];
  let last = 0;
  for (const m of matches) {
    const piece = s.slice(last, m.start);
    // Expanding visits every part of the template: charged per match, like the text it copies.
    a.ctx.step(stepsForBytes(expansion.length));
    const replacement = expandReplacement(expansion, m);
    budget.add(piece.length + replacement.length);
    // The two pieces live in `parts` until the join, each a string of its own and a slot.
    a.ctx.allocate(2 * (STRING_BYTES + ELEMENT_BYTES));
    parts.push(piece, replacement);
    last = m.end;
  }
  budget.add(s.length - last);
  parts.push(s.slice(last));
  return parts.join('');
}

function findall(a: Args): Value[] {
  const s = a.str(0);
  const pattern = a.str(1);
  return withPattern(a, pattern, () => {
    // As in the reference: with two or more groups each match is the list of its groups,
    // otherwise (no group or one) the whole match.
    const manyGroups = regexGroupCount(pattern, a.ctx) >= 2;
    const matches = regexMatches(pattern, s, a.ctx, manyGroups);
    a.ctx.checkContainer('list', matches.length);
    // Each item: a string cut from the text, or a list of the match's groups (their strings are
    // the engine's, already charged): counted before they are built.
    if (!manyGroups) a.ctx.allocate(matches.length * STRING_BYTES);
    return matches.map((m): Value => {
      if (!manyGroups) return s.slice(m.start, m.end);
      a.ctx.checkContainer('list', m.groups!.length - 1);
      const groups = m.groups!.slice(1);
      if (groups.some((g) => g === undefined)) throw a.fail('a group of the pattern did not participate in the match');
      return groups as string[];
    });
  });
}

function split(a: Args): string[] {
  const s = a.str(0);
  const pattern = a.str(1);
  const maxsplit = a.optInt(2) ?? 0;
  const matches = withPattern(a, pattern, () => regexMatches(pattern, s, a.ctx, false));
  const pieces: string[] = [];
  let last = 0;
  for (const m of matches) {
    // An empty match at either end splits nothing off.
    if (m.start === m.end && (m.start === 0 || m.start >= s.length)) continue;
    pieces.push(s.slice(last, m.start));
    last = m.end;
  }
  pieces.push(s.slice(last));
  a.ctx.checkContainer('list', pieces.length);
  a.ctx.allocate(pieces.length * STRING_BYTES);
  return maxsplit > 0 ? pieces.slice(0, maxsplit) : pieces;
}

function compile(a: Args): boolean {
  const pattern = a.str(0);
  try {
    compileRegex(pattern, a.ctx);
    return true;
  } catch (e) {
    if (e instanceof RegexInvalid) return false;
    if (e instanceof RegexUnsupported) throw a.error('K9006', `regular expression '${displayForMessage(pattern)}': ${e.message}`);
    throw e;
  }
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
      member('regex', 'compile', ['pattern'], compile),
    ]),
  );
}
