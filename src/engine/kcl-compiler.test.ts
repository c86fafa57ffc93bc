import { describe, expect, test } from '@jest/globals';
import { kclCompiler } from './kcl-compiler.js';

function run(source: string, options: Record<string, unknown> = {}) {
  const compiled = kclCompiler.compile(source, 'team-a/p.k');
  if (!compiled.ok) throw new Error(compiled.diagnostics.map((d) => d.message).join('; '));
  return compiled.program.run(options, { timeoutMs: 1000 });
}

/** An output nested 11,400 deep (190 calls each adding 60 levels): too deep to convert. */
const DEEP_OUTPUT = `_f = lambda n, x {
    _f(n - 1, ${'['.repeat(60)}x${']'.repeat(60)}) if n > 0 else x
}
a = 1
deep = _f(190, 1)
`;

describe('the KCL policy compiler', () => {
  test('passes exports back as plain JSON values', () => {
    const result = run('items = [{a: 1, b = [1.5, "x"]}]');
    expect(result.ok && result.exports.get('items')).toEqual([{ a: 1, b: [1.5, 'x'] }]);
  });

  test('fails a policy whose output holds an int JSON numbers cannot carry, naming where', () => {
    const result = run('items = [{spec: {big: 9007199254740993}}]');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.diagnostic.code).toBe('E3K09');
      expect(result.diagnostic.message).toContain('items[0].spec.big');
    }
  });

  test('keeps ints up to 2^53 as numbers', () => {
    const result = run('items = [{n: 9007199254740991}]');
    expect(result.ok && result.exports.get('items')).toEqual([{ n: 9007199254740991 }]);
  });

  test('fails a policy whose output is nested too deeply to convert with K9002 at its statement', () => {
    // It was a JavaScript stack overflow, reported as an internal interpreter error.
    const result = run(DEEP_OUTPUT);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.diagnostic.code).toBe('K9002');
      expect(result.diagnostic.span?.line).toBe(5);
    }
  });
});
