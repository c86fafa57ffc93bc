import { describe, expect, test } from '@jest/globals';
import { compile, renderRunOutput } from '../index.js';
import { code } from '../eval/test-helpers.js';
import { RE2JS } from 're2js';
import { translate } from './regex-engine.js';

/**
 * Rust regex semantics on the linear-time engine. EXPECTED is what the reference
 * (kcl-lib 0.13.2) printed for SOURCE: Unicode classes, verbose mode, scoped flags,
 * lookbehind, classes with a leading `]`, named replacement groups and Rust's iteration over
 * empty matches.
 */
const SOURCE = "import regex\na = regex.match(\"\u00e9\u0663_\", r\"^\\w+$\")\nb = regex.match(\"\\u00a0\\u2003\", r\"^\\s+$\")\nc = regex.findall(\"x\u0661\u0662y34\", r\"\\d+\")\nd = regex.match(\"a b\", r\"(?x) a \\  b  # comment\")\ne = regex.match(\"AbC\", r\"(?i:a)b(?-i)C\")\nf = regex.findall(\"price: $5, cost: $7\", r\"(?<=\\$)\\d\")\ng = regex.replace(\"a-b_c\", r\"[^\\w]\", \".\")\nh = regex.split(\"a1b2c3\", r\"\\d\")\ni = regex.match(\"ab\\ncd\", r\"(?m)^cd$\")\nj = regex.findall(\"\u00dcn\u00efc\u00f6d\u00e9 w\u00f6rds\", r\"\\w+\")\nk = regex.replace(\"hello world\", r\"(?P<first>\\w+) (?P<second>\\w+)\", r\"$second $first\")\nl = regex.match(\"\\u00e9\", r\"\\x{e9}\")\nm = regex.match(\"x\", r\"[[:alpha:]]\")\nn = regex.findall(\"aXbX\", \"X|\")\no = regex.findall(\"baaab\", \"a*\")\np = regex.replace(\"baaab\", \"a*\", \"-\")\nq = regex.match(\"K\", \"\\\\u004B\")\nr1 = regex.findall(\"a]b]\", r\"[]a]+\")\nr2 = regex.match(\"a#b\", r\"(?x)a[#]b\")\nr3 = regex.match(\"a b\", r\"(?x)a[ ]b # trailing comment\")\nr4 = regex.findall(\"x-y_z\", r\"[\\w-]+\")\nr5 = regex.split(\"a, b;c\", r\"[,;]\\s*\")\nr6 = regex.replace(\"2024-01-15\", r\"(\\d+)-(\\d+)-(\\d+)\", \"$3/$2/$1\")\n";
const EXPECTED = "a: true\nb: true\nc:\n- \u0661\u0662\n- '34'\nd: true\ne: true\nf:\n- '5'\n- '7'\ng: a.b_c\nh:\n- a\n- b\n- c\n- ''\ni: true\nj:\n- \u00dcn\u00efc\u00f6d\u00e9\n- w\u00f6rds\nk: world hello\nl: true\nm: true\n'n':\n- ''\n- X\n- X\no:\n- ''\n- aaa\n- ''\np: '-b-b-'\nq: true\nr1:\n- a]\n- ']'\nr2: true\nr3: true\nr4:\n- x-y_z\nr5:\n- a\n- b\n- c\nr6: '15/01/2024'\n";

function output(source: string): string {
  const c = compile(source, 'main.k');
  if (!c.ok) throw new Error(c.diagnostics[0]!.message);
  const r = c.program.run();
  if (!r.ok) throw new Error(`${r.diagnostic.code} ${r.diagnostic.message}`);
  return renderRunOutput(r);
}

describe('regular expressions follow the reference on the linear-time engine', () => {
  test('the reference output of a program using Rust regex syntax', () => {
    expect(output(SOURCE)).toBe(EXPECTED);
  });

  test('catastrophic patterns complete with the right answer on a 10,000-character hostile input', () => {
    // Exponential for a backtracking engine (2.6 s at 30 characters in JavaScript's RegExp).
    const hostile = 'a'.repeat(10_000) + '!';
    const src = `import regex\na = regex.match(option("v"), r"^([a-z0-9]+-?)+$")\nb = regex.match(option("v") + "", r"^(a+)+$")\nc = len(regex.findall(option("v"), r"(a|aa)+"))`;
    const c = compile(src, 'main.k');
    if (!c.ok) throw new Error('compile');
    const r = c.program.run({ options: { v: hostile } });
    expect(r.ok && Object.fromEntries(r.exports)).toEqual({ a: false, b: false, c: 1 });
  });

  test('constructs that need backtracking are K9006, with their position', () => {
    for (const p of ['(a)\\1', 'a(?=b)', 'a(?!b)', '(?>a+)', 'a++', 'a*+', '(?P<x>a)(?P=x)', '\\k<x>', '[a-z&&[^b]]', '[a[bc]]', '[\\W]', '(?-u)a', 'a(?x)b']) {
      expect([p, code(`import regex\n\na = regex.match("ab", r"${p}")`)]).toEqual([p, 'K9006']);
    }
    // A literal pattern is refused when the policy compiles, at the literal...
    const c = compile('import regex\na = 1\nb = regex.compile(r"(a)\\1")', 'main.k');
    expect(!c.ok && [c.diagnostics[0]!.code, c.diagnostics[0]!.span?.line, c.diagnostics[0]!.span?.col]).toEqual(['K9006', 3, 19]);
    // ...and one that comes from data when it runs, at the call.
    const d = compile('import regex\na = 1\nb = regex.match("aa", option("p"))', 'main.k');
    const r = d.ok ? d.program.run({ options: { p: '(a)\\1' } }) : undefined;
    expect(r && !r.ok && [r.diagnostic.code, r.diagnostic.span?.line, r.diagnostic.span?.col]).toEqual(['K9006', 3, 5]);
  });

  test('matches are charged to the allocation budget as the engine records them (K9004)', () => {
    // 500,000 matches of two groups held 214 MB of heap while the budget counted 8 MB: a worker
    // was killed. An 8 MiB budget and 100,000 matches here (src/engine/pool/heap-budget.test.ts
    // runs the full size in a worker).
    const s = 'ab'.repeat(100_000);
    const limits = { maxAllocBytes: 8 * 1024 * 1024 };
    expect(code('import regex\nn = len(regex.findall(option("s"), r"(\\w)(\\w)"))', { s }, limits)).toBe('K9004');
    expect(code('import regex\nn = len(regex.findall(option("s"), r"(?P<x>\\w)(?P<y>\\w)"))', { s }, limits)).toBe('K9004');
    expect(code('import regex\nn = len(regex.replace(option("s"), r"(a)(b)", "$2$1"))', { s }, limits)).toBe('K9004');
    expect(code('import regex\nn = len(regex.split(option("s"), "b"))', { s }, limits)).toBe('K9004');
    expect(code('import regex\nn = len(regex.findall(option("s"), "ab"))', { s }, limits)).toBe('K9004');
    // A tenth of it is ordinary work within the same budget.
    expect(output(`import regex\nk = len(regex.findall("${'ab'.repeat(10_000)}", r"(\\w)(\\w)"))`)).toBe('k: 10000\n');
  });

  test('an invalid pattern is E3M38 as in the reference, and regex.compile says false', () => {
    expect(code('import regex\na = regex.match("a", "a(")')).toBe('E3M38');
    expect(output('import regex\na = regex.compile("a(")')).toBe('a: false\n');
  });

  test('\\b is refused on text with non-ASCII word characters rather than answered wrongly', () => {
    expect(output('import regex\na = regex.match("a b", r"\\bb\\b")\nb = regex.match("— b", r"\\bb")')).toBe('a: true\nb: true\n');
    expect(code('import regex\na = regex.match("é", r"\\bé\\b")')).toBe('K9006');
  });

  test('Rust\'s \\w is the Unicode word class, code point for code point', () => {
    const jsWord = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
    const re = RE2JS.compile(translate('^\\w$').source);
    const differ: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp += cp < 0x30000 ? 1 : 0x101) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (jsWord.test(ch) !== re.test(ch)) differ.push(cp.toString(16));
    }
    // Every code point below U+30000, then a sample of the rest.
    expect(differ.slice(0, 20)).toEqual([]);
  });
});
