import { describe, expect, test } from '@jest/globals';
import { kclCompiler } from './kcl-compiler.js';

function run(source: string, options: Record<string, unknown> = {}) {
  const compiled = kclCompiler.compile(source, 'team-a/p.k');
  if (!compiled.ok) throw new Error(compiled.diagnostics.map((d) => d.message).join('; '));
  return compiled.program.run(options, { timeoutMs: 1000 });
}

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
});
