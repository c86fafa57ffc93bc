import { describe, expect, it } from '@jest/globals';
import { lex } from './lexer.js';

const kinds = (src: string) => lex(src, 'main.k').tokens.map((t) => `${t.kind}:${t.value}`);
const numberOf = (src: string) => lex(src, 'main.k').tokens[0]!.number!;

describe('lexer', () => {
  it('produces names, operators and an eof token with 1-based positions', () => {
    const { tokens, diagnostics } = lex('a = b.c\n', 'main.k');
    expect(diagnostics).toEqual([]);
    expect(tokens.map((t) => [t.kind, t.value, t.line, t.col, t.endCol])).toEqual([
      ['name', 'a', 1, 1, 2], ['op', '=', 1, 3, 4], ['name', 'b', 1, 5, 6], ['op', '.', 1, 6, 7],
      ['name', 'c', 1, 7, 8], ['eof', '', 2, 1, 1],
    ]);
  });

  it('marks the first token of each logical line and its indentation', () => {
    const { tokens } = lex('if a:\n    b = 1\n\tc\n', 'main.k');
    const b = tokens.find((t) => t.value === 'b')!;
    const c = tokens.find((t) => t.value === 'c')!;
    expect([b.nl, b.ind, b.indTab1]).toEqual([true, 4, 4]);
    expect([c.nl, c.ind, c.indTab1]).toEqual([true, 8, 1]);
    expect(tokens.find((t) => t.value === ':')!.nl).toBe(false);
  });

  it('joins lines ending in a backslash', () => {
    const { tokens } = lex('a = 1 + \\\n    2\n', 'main.k');
    const two = tokens.find((t) => t.value === '2')!;
    expect(two.nl).toBe(false);
    expect(two.line).toBe(2);
  });

  it('skips comments', () => {
    expect(kinds('a = 1  # one\n# whole line\nb')).toEqual(['name:a', 'op:=', 'number:1', 'name:b', 'eof:']);
  });

  it('scans longest operators first', () => {
    expect(kinds('a **= b // c ?.d ?[0] -> ...')).toEqual([
      'name:a', 'op:**=', 'name:b', 'op://', 'name:c', 'op:?.', 'name:d', 'op:?[', 'number:0', 'op:]', 'op:->', 'op:...', 'eof:',
    ]);
  });

  it('reads $-prefixed names as plain names that are never keywords', () => {
    const t = lex('$if', 'main.k').tokens[0]!;
    expect([t.kind, t.value, t.dollar]).toEqual(['name', 'if', true]);
  });

  it('reads integers in every base, including legacy octal', () => {
    expect(numberOf('42').value).toBe(42);
    expect(numberOf('0x1F').value).toBe(31);
    expect(numberOf('0o17').value).toBe(15);
    expect(numberOf('0b101').value).toBe(5);
    expect(numberOf('017').value).toBe(15);
    expect(numberOf('0').value).toBe(0);
    expect(numberOf('42').isFloat).toBe(false);
  });

  it('reads floats', () => {
    expect(numberOf('1.5')).toMatchObject({ value: 1.5, isFloat: true, suffix: undefined });
    expect(numberOf('1e3')).toMatchObject({ value: 1000, isFloat: true });
    expect(numberOf('2.5E-1')).toMatchObject({ value: 0.25, isFloat: true });
  });

  it('reads unit suffixes', () => {
    expect(numberOf('500m')).toEqual({ value: 500, isFloat: false, suffix: 'm' });
    expect(numberOf('1Gi')).toEqual({ value: 1, isFloat: false, suffix: 'Gi' });
    // the reference ignores anything after a float, and a lone `i`
    expect(numberOf('1.5Ki')).toMatchObject({ value: 1.5, isFloat: true, suffix: undefined });
    expect(numberOf('1i')).toMatchObject({ value: 1, isFloat: false, suffix: undefined });
    for (const s of ["n", "u", "k", "K", "M", "G", "T", "P", "Mi", "Ti", "Pi"]) expect(numberOf(`2${s}`).suffix).toBe(s);
  });

  it('reports malformed numbers as the reference does', () => {
    const at = (src: string) => lex(src, 'main.k').diagnostics.map((d) => [d.code, d.span!.col]);
    expect(at('a = [0b12]')).toEqual([['E1001', 9]]);
    expect(at('a = [0o8]')).toEqual([['E1001', 8]]);
    expect(at('a = [0x]')).toEqual([['E1001', 6]]);
    expect(at('a = [09]')).toEqual([['E1001', 6]]);
    expect(at('a = [1e]')).toEqual([['E1001', 6]]);
    expect(at('a = [00, 1_000, 1.5abc]')).toEqual([]);
  });

  it('reports a bad suffix or upper-case base prefix at the number', () => {
    for (const src of ['h = 1Q', 'h = 0XFF', 'h = 0O17']) {
      const { diagnostics } = lex(src, 'main.k');
      expect(diagnostics.map((d) => [d.code, d.span!.line, d.span!.col])).toEqual([['E1001', 1, 5]]);
    }
  });

  it('reads string tokens with their quote style', () => {
    const [plain, triple, raw] = lex(`"a" '''b\nc''' r'\\d'`, 'main.k').tokens;
    expect([plain!.kind, plain!.string!.isTriple, plain!.string!.isRaw]).toEqual(['string', false, false]);
    expect([triple!.string!.isTriple, triple!.endLine]).toEqual([true, 2]);
    expect([raw!.value, raw!.string!.isRaw]).toEqual(["r'\\d'", true]);
    expect(lex('R"x"', 'main.k').tokens[0]!.string!.isRaw).toBe(true);
  });

  it('keeps an escaped quote inside the string', () => {
    const t = lex('"a\\"b" c', 'main.k').tokens;
    expect(t.map((x) => x.kind)).toEqual(['string', 'name', 'eof']);
  });

  it('reports an unterminated string at its start', () => {
    const { diagnostics } = lex("x = 'abc\ny = 1\n", 'main.k');
    expect(diagnostics.map((d) => [d.code, d.span!.line, d.span!.col])).toEqual([['E1001', 1, 5]]);
  });

  it('reports mismatched and unbalanced closing brackets', () => {
    expect(lex('x = [1, 2)', 'main.k').diagnostics.map((d) => d.span!.col)).toEqual([10]);
    expect(lex('x = {a: 1}}', 'main.k').diagnostics.map((d) => d.span!.col)).toEqual([11]);
    expect(lex('x = (1, 2)', 'main.k').diagnostics).toEqual([]);
  });

  it('reports characters that are not KCL', () => {
    const { diagnostics, tokens } = lex('a = `b`', 'main.k');
    expect(diagnostics.map((d) => [d.code, d.span!.col])).toEqual([['E1001', 5], ['E1001', 7]]);
    expect(tokens.map((t) => t.value)).toEqual(['a', '=', 'b', '']);
  });

  it('lexes a slice of the source with positions in the whole file', () => {
    const src = 'x = "${a + 1}"';
    const { tokens } = lex(src, 'main.k', { start: 7, end: 12, line: 1, lineStart: 0 });
    expect(tokens.map((t) => [t.value, t.col])).toEqual([['a', 8], ['+', 10], ['1', 12], ['', 13]]);
    expect(tokens[0]!.nl).toBe(false);
  });
});
