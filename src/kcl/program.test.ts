import { describe, expect, test } from '@jest/globals';
import { compile } from './program.js';
import { KDict } from './value.js';
import { toKcl, toPlain } from './convert.js';

describe('compile once, run many', () => {
  test('each run starts fresh and sees its own options', () => {
    const c = compile('n = option("n")\n_acc = [n]\nr = _acc', 'main.k');
    if (!c.ok) throw new Error(c.diagnostics[0]!.message);
    for (const n of [1, 2, 3]) {
      const r = c.program.run({ options: { n } });
      if (!r.ok) throw new Error(r.diagnostic.message);
      expect(toPlain(new KDict(r.exports))).toEqual({ n, r: [n] });
    }
  });
  test('run never throws; errors come back as diagnostics with a span', () => {
    const c = compile('a = option("x").y.z + 1', 'main.k');
    if (!c.ok) throw new Error('compile failed');
    const r = c.program.run();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostic.code).toMatch(/^E/);
      expect(r.diagnostic.span?.line).toBe(1);
    }
  });
  test('compile reports syntax and name errors as diagnostics', () => {
    const bad = compile('a = (', 'main.k');
    expect(bad.ok).toBe(false);
    const undef = compile('a = nope', 'main.k');
    expect(undef.ok ? 'ok' : undef.diagnostics[0]!.code).toBe('E2L23');
  });
  test('options are not mutated by a mutation policy', () => {
    const items = toKcl([{ metadata: { name: 'x', labels: { a: '1' } } }]);
    const c = compile('items = [i | {metadata.labels.b: "2"} for i in option("items")]', 'main.k');
    if (!c.ok) throw new Error('compile failed');
    const r = c.program.run({ options: { items } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(toPlain(r.exports.get('items')!)).toEqual([{ metadata: { name: 'x', labels: { a: '1', b: '2' } } }]);
    expect(toPlain(items)).toEqual([{ metadata: { name: 'x', labels: { a: '1' } } }]);
  });
  test('print output is collected', () => {
    const c = compile('print("hello", 1)\na = 1', 'main.k');
    if (!c.ok) throw new Error('compile failed');
    const r = c.program.run();
    expect(r.printed).toBe('hello 1\n');
  });
});
