import { describe, expect, test } from '@jest/globals';
import { compile, formatDiagnosticWithSource, renderRunOutput } from './index.js';

function output(source: string, opts: { showHidden?: boolean } = {}): string {
  const c = compile(source, 'main.k');
  if (!c.ok) throw new Error(c.diagnostics[0]!.message);
  const r = c.program.run();
  if (!r.ok) throw new Error(r.diagnostic.message);
  return renderRunOutput(r, opts);
}

describe('public API output', () => {
  test('a lone top-level list of configs prints as a YAML stream', () => {
    expect(output('[{a: 1}, {b: 2}]')).toBe('a: 1\n---\nb: 2\n');
  });
  test('config expression statements come before variables', () => {
    expect(output('a = 1\n{b = 2}')).toBe('b: 2\na: 1\n');
  });
  test('hidden variables appear only with showHidden', () => {
    expect(output('_h = 1\ns = 2')).toBe('s: 2\n');
    expect(output('_h = 1\ns = 2', { showHidden: true })).toBe('_h: 1\ns: 2\n');
  });
  test('diagnostics are rendered with their source line', () => {
    // Both operand types are known from the source, so this is a compile-time TypeError.
    const src = 'a = 1\nb = a + "x"\n';
    const c = compile(src, 'main.k');
    if (c.ok) throw new Error('expected a compile error');
    const text = formatDiagnosticWithSource(c.diagnostics[0]!, src);
    expect(text).toContain('error[E2G22]');
    expect(text).toContain('main.k:2:');
    expect(text).toContain('b = a + "x"');
  });
});

describe('compile diagnostics are bounded', () => {
  test('an expression too long for the compiler is a syntax error at its line, not an internal error', () => {
    const c = compile('b = 1\na = ' + Array(5000).fill('1').join(' + ') + '\n', 'main.k');
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.diagnostics.map((d) => [d.code, d.span?.line])).toEqual([['E1001', 2]]);
  });

  test('at most 100 diagnostics and one counting the rest, from the parser or the checker', () => {
    for (const source of ['a = ' + '-'.repeat(200000) + '1\n', Array.from({ length: 5000 }, (_, i) => `a${i} = b${i}`).join('\n') + '\n']) {
      const c = compile(source, 'main.k');
      expect(c.ok).toBe(false);
      if (!c.ok) {
        expect(c.diagnostics).toHaveLength(101);
        expect(new Set(c.diagnostics.map((d) => d.code)).size).toBe(1);
      }
    }
  });

  test('a diagnostic on a very long line shows part of the line, with the caret under the column', () => {
    const source = 'a = ' + 'x'.repeat(100000) + ' + $\n';
    const c = compile(source, 'main.k');
    expect(c.ok).toBe(false);
    if (c.ok) return;
    const text = formatDiagnosticWithSource(c.diagnostics[0]!, source);
    expect(text.length).toBeLessThan(1000);
    const lines = text.split('\n');
    const shown = lines.find((l) => l.startsWith('1 | '))!;
    const caret = lines.find((l) => l.includes('^'))!;
    expect(shown[caret.indexOf('^')]).toBe('$');
  });
});

describe('error messages', () => {
  test('quote at most about a kilobyte of an input, however large', () => {
    for (const source of ['import base32\na = base32.decode("=" * 100000 + "A")', 'import base64\na = base64.decode("=" * 100000 + "A")']) {
      const c = compile(source, 'main.k');
      if (!c.ok) throw new Error(c.diagnostics[0]!.message);
      const r = c.program.run();
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.diagnostic.message.length).toBeLessThan(2000);
    }
  });
});
