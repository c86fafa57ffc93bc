/**
 * Property tests: whatever the input, the lexer and parser return (never throw) after a bounded
 * amount of work, and every diagnostic has a code and a position inside the file. The parse runs
 * without the safety net of `parse`, so a parser bug surfaces as an exception instead of being
 * turned into a diagnostic; its work is counted in token reads, with a budget, so a parser that
 * would loop forever or blow up quadratically fails the test instead of hanging it.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parse } from '../parse.js';
import { lex } from '../lexer/lexer.js';
import { parseCountingReads } from './test-helpers.js';

const CORPUS = [
  'a = 1\nb: int = a + 2 * 3\nc = d = "x${b}y"\n',
  'import regex\nok = regex.match("abc", r"^a.c$")\n',
  'schema Pod[prefix: str = "p"](Base):\n    """doc"""\n    mixin [LabelMixin]\n    name: str = prefix + "-x"\n    labels?: {str:str} = {}\n    [key: str]: any\n    check:\n        len(name) < 64, "too long"\n        name.startswith("p") if name\n',
  'cfg = {\n    a: 1\n    b = [1, 2, *xs]\n    c += [3]\n    d.e.f: "g"\n    **other\n    if cond:\n        h: 1\n    elif other:\n        h: 2\n    else:\n        h: 3\n}\n',
  'xs = [x * 2 for x in range(10) if x % 2 == 0]\nd = {k: v for k, v in {a = 1}}\n',
  'ok = all c in containers { c.image.endswith(":latest") == False if c.image }\nnames = map c in cs { c.name }\n',
  'f = lambda x: int, y = 1 -> int {\n    z = x + y\n    if z > 10:\n        z = 10\n    z\n}\nr = f(1, y=2)\n',
  'if a > 1:\n    b = 2\nelif a < 0:\n    b = 3\nelse:\n    b = 4\nassert b > 0, "msg"\n',
  'p: Pod {name = "x"}\nq = Pod(prefix="y") {labels.app = "z"}\nt = x as Pod\n',
  'type Proto = "TCP" | "UDP"\nrule R for P:\n    a > 1\n',
  'v = a?.b?[0] or c[1:2:3]\nw = not a in b and 0 < c <= 10\nu = 500m + 1Gi + 0x1F + 0o17 + 0b1 + 1.5e3\n',
  'items = [\n    if a: 1\n    2\n    if b:\n        3\n        4\n]\ns = """multi\n${line}"""\n',
  '_items = option("items") or []\nviolations = [i.metadata.name for i in _items if not i.metadata?.labels?["app"]]\n',
];

const TOKENS = [
  'a', 'b', 'schema', 'rule', 'if', 'elif', 'else', 'for', 'in', 'not', 'and', 'or', 'is', 'lambda', 'all', 'any',
  'map', 'filter', 'import', 'assert', 'check', 'mixin', 'type', 'True', 'None', 'Undefined', '$x', '1', '1.5', '2Gi',
  '0x1F', '"s"', '"${a}"', "'''t'''", 'r"\\d"', '(', ')', '[', ']', '{', '}', ':', '=', '+=', ',', '.', '?.', '?[',
  '**', '*', '-', '+', '|', '->', '@', '...', '\n', '\n    ', '\n\t', '\\\n', '#c\n', ';', '"', '${', '`',
];

const KCL_CHARS = [...'abcxyz_$019.:=+-*/%<>!&|^~()[]{},;@?#"\'\\ \t\n\r', '${', '"""', "'''", 'if ', 'else', 'for ', 'schema '];

/**
 * Reads allowed per token (plus a constant for tiny inputs): random inputs need at most about 20
 * today, error recovery included, and valid policies about 6; a blow-up needs far more.
 */
const READ_BUDGET = (tokens: number): number => 50 * (tokens + 10);

function checkParse(source: string): void {
  const { body, diagnostics } = parseCountingReads(source, 'main.k', READ_BUDGET);
  expect(Array.isArray(body)).toBe(true);
  const lineCount = source.split('\n').length;
  for (const d of diagnostics) {
    // syntax errors, plus the two compile errors the reference also finds while parsing
    expect(['E1001', 'E2L23']).toContain(d.code);
    expect(d.span).toBeDefined();
    expect(d.span!.line).toBeGreaterThanOrEqual(1);
    expect(d.span!.line).toBeLessThanOrEqual(lineCount);
    expect(d.span!.col).toBeGreaterThanOrEqual(1);
  }
}

type Mutation = { kind: 'delete' | 'insert' | 'duplicate' | 'swapLines' | 'dropLine' | 'indent'; at: number; other: number; text: string };

function mutate(source: string, m: Mutation): string {
  if (source.length === 0) return m.text;
  const i = m.at % source.length;
  const j = m.other % source.length;
  const lines = source.split('\n');
  const li = m.at % lines.length;
  const lj = m.other % lines.length;
  switch (m.kind) {
    case 'delete': return source.slice(0, i) + source.slice(i + 1 + (m.other % 4));
    case 'insert': return source.slice(0, i) + m.text + source.slice(i);
    case 'duplicate': return source.slice(0, i) + source.slice(Math.min(i, j), Math.max(i, j)) + source.slice(i);
    case 'swapLines': [lines[li], lines[lj]] = [lines[lj]!, lines[li]!]; return lines.join('\n');
    case 'dropLine': lines.splice(li, 1); return lines.join('\n');
    case 'indent': lines[li] = ' '.repeat(1 + (m.other % 6)) + lines[li]; return lines.join('\n');
  }
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'duplicate', 'swapLines', 'dropLine', 'indent'),
  at: fc.nat(),
  other: fc.nat(),
  text: fc.constantFrom(...TOKENS),
});

describe('parser fuzzing', () => {
  it('parses the valid corpus without diagnostics', () => {
    for (const source of CORPUS) expect(parse(source, 'main.k').diagnostics).toEqual([]);
  });

  it('survives random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), checkParse), { numRuns: 300 });
  });

  it('survives strings of KCL characters', () => {
    const kclish = fc.array(fc.constantFrom(...KCL_CHARS), { maxLength: 200 }).map((parts) => parts.join(''));
    fc.assert(fc.property(kclish, checkParse), { numRuns: 400 });
  });

  it('survives token soups', () => {
    const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((parts) => parts.join(' '));
    const tight = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((parts) => parts.join(''));
    fc.assert(fc.property(fc.oneof(soup, tight), checkParse), { numRuns: 400 });
  });

  it('survives mutations of valid programs', () => {
    const mutated = fc.tuple(fc.constantFrom(...CORPUS), fc.array(mutationArb, { minLength: 1, maxLength: 6 }))
      .map(([source, mutations]) => mutations.reduce(mutate, source));
    fc.assert(fc.property(mutated, checkParse), { numRuns: 600 });
  });

  it('survives deep nesting of every bracket and block kind', () => {
    for (const [open, close] of [['(', ')'], ['[', ']'], ['{a: ', '}'], ['f(', ')'], ['not ', ''], ['lambda {', '}'], ['"${', '}"']]) {
      checkParse('x = ' + open!.repeat(3000) + '1' + close!.repeat(3000) + '\n');
    }
    let nestedIf = '';
    for (let i = 0; i < 500; i++) nestedIf += ' '.repeat(i) + 'if a:\n';
    checkParse(nestedIf + ' '.repeat(500) + 'b = 1\n');
    checkParse('x = 1' + ' if a else 1'.repeat(3000) + '\n');
    checkParse('x = [if a: 1' + ' elif b: 2'.repeat(3000) + ']\n');
  });

  it('keeps the lexer total on arbitrary slices', () => {
    fc.assert(fc.property(fc.string({ maxLength: 100 }), fc.nat(), fc.nat(), (source, a, b) => {
      const start = source.length ? a % source.length : 0;
      const end = start + (source.length ? b % (source.length - start + 1) : 0);
      const { tokens } = lex(source, 'main.k', { start, end, line: 1, lineStart: 0 });
      expect(tokens[tokens.length - 1]!.kind).toBe('eof');
    }), { numRuns: 300 });
  });
});
