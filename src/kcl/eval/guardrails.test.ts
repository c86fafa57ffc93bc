/**
 * The guardrails end runaway programs by counting, not by timing: the step budget and the depth
 * limit are counters, and the clock budget is tested with a scripted clock (the helpers' runs
 * otherwise read a clock that never moves). That builtins check the size of a value before
 * building it: test/kcl/size-before-building.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { code, run } from './test-helpers.js';

const RECURSE = 'f = lambda n { f(n + 1) }\na = f(0)';

describe('guardrails end runaway policies', () => {
  test('unbounded recursion hits the depth limit long before a small step budget', () => {
    expect(code(RECURSE)).toBe('K9002');
    // Depth 200 is reached within 1,000 steps: the recursion was stopped by depth, not by budget.
    expect(code(RECURSE, {}, { maxSteps: 1_000 })).toBe('K9002');
  });

  test('a huge comprehension hits the step budget', () => {
    expect(code('a = [x for x in range(1000000)]', {}, { maxSteps: 10_000 })).toBe('K9001');
  });

  test('the wall clock budget, read from the clock every so many steps', () => {
    // Each look at the clock finds it 1 ms later: 20 ms are used up after about 20 looks.
    let now = 1_000_000;
    const clock = (): number => (now += 1);
    const src = 'f = lambda n { [g(i) for i in range(200)] }\ng = lambda i { [i for _ in range(200)] }\na = [f(j) for j in range(1000)]';
    expect(code(src, {}, { clock, timeoutMs: 20, maxSteps: 1e12, maxValueSize: 1e12 })).toBe('K9003');
    expect(now - 1_000_000).toBeLessThan(30);
  });

  test('the value size limit', () => {
    expect(code('a = "x" * 100000', {}, { maxStringBytes: 1000 })).toBe('K9004');
    expect(code('a = [1] * 100000', {}, { maxValueSize: 1000 })).toBe('K9004');
    expect(code('a = range(2000)', {}, { maxValueSize: 1000 })).toBe('K9004');
  });

  test("the containers a program builds are charged by their own heap, not only by their elements", () => {
    // 20,000 containers within a 2 MiB budget: 16 bytes each would be 320 KB; their heap (about
    // 250 bytes an empty dict, 48 a list) is not. Each form a program builds them by.
    const limits = { maxAllocBytes: 2 * 1024 * 1024, maxSteps: 1e9 };
    for (const src of [
      'a = [{} for _ in range(20000)]',
      'a = [{"k": i} for i in range(20000)]',
      'a = [{str(j): j for j in range(1)} for _ in range(20000)]',
      'schema S:\n    x?: int\na = [S {} for _ in range(20000)]',
      '_e = {}\na = [_e | _e for _ in range(20000)]',
      'a = [dict() for _ in range(20000)]',
      '_e = {"k": 1}\na = [filter k, v in _e {True} for _ in range(20000)]',
      'a = [{a.b.c.d.e.f.g.h: 1} for _ in range(5000)]',
      '_l = [1]\na = [map i in _l {i} for _ in range(30000)]',
    ]) {
      expect(code(src, {}, limits)).toBe('K9004');
    }
    // Lists cost less per container, and a budget a few times larger holds the same program.
    expect(code('a = [[i] for i in range(20000)]', {}, { maxAllocBytes: 1024 * 1024, maxSteps: 1e9 })).toBe('K9004');
    expect(run('a = [{} for _ in range(20000)]', {}, { maxAllocBytes: 16 * 1024 * 1024, maxSteps: 1e9 }).code).toBeUndefined();
  });

  test("the pieces str.split cuts are charged as strings of their own in a list of their own", () => {
    // Six splits of 10,001 pieces: 16 bytes a piece would be 960 KB; with each piece's own string
    // (32 bytes) and the list's, 2.9 MB.
    const src = '_s = "a," * 10000\nr = [len(_s.split(",")) for _ in range(6)]';
    expect(code(src, {}, { maxAllocBytes: 2 * 1024 * 1024, maxSteps: 1e9 })).toBe('K9004');
    expect(run(src, {}, { maxAllocBytes: 4 * 1024 * 1024, maxSteps: 1e9 }).code).toBeUndefined();
  });

  test('the two pieces regex.replace keeps per match until it joins them are charged', () => {
    // 20,000 matches: the engine's record of them is charged 960 KB, the pieces 1.6 MB more.
    const src = 'import regex\nr = len(regex.replace("a" * 20000, "a", "b"))';
    expect(code(src, {}, { maxAllocBytes: 2 * 1024 * 1024, maxSteps: 1e9 })).toBe('K9004');
    expect(run(src, {}, { maxAllocBytes: 4 * 1024 * 1024, maxSteps: 1e9 }).value).toEqual({ r: 20000 });
  });

  test("isunique's record of the items it has seen is charged", () => {
    // 30,000 distinct ints: the list is charged 480 KB, the set isunique keeps of them 1.4 MB more.
    const src = 'r = isunique([i for i in range(30000)])';
    expect(code(src, {}, { maxAllocBytes: 1024 * 1024, maxSteps: 1e9 })).toBe('K9004');
    expect(run(src, {}, { maxAllocBytes: 4 * 1024 * 1024, maxSteps: 1e9 }).value).toEqual({ r: true });
  });

  test('type checks of arguments cost a step per element, even where nothing is converted', () => {
    // 1,000 calls each checking a 1,000-entry dict (or list): about a million steps of checking.
    const src = (annotation: string, value: string): string =>
      `d = ${value}\nf = lambda x: ${annotation} { 1 }\na = [f(d) for _ in range(1000)]`;
    for (const [annotation, value] of [['{str:}', '{"k${i}": i for i in range(1000)}'], ['{str:any}', '{"k${i}": i for i in range(1000)}'], ['[int]', '[i for i in range(1000)]']]) {
      expect(code(src(annotation!, value!), {}, { maxSteps: 100_000 })).toBe('K9001');
      expect(run(src(annotation!, value!), {}, { maxSteps: 10_000_000 }).code).toBeUndefined();
    }
  });

  test('a deep inheritance chain instantiated many times stops on the step budget', () => {
    // Each parent level gets its own argument frame per instance (it reads its own arguments:
    // `a0` is S0's default, not S99's), and each counts.
    const levels = ['schema S0[n: int = 0]:\n    a0?: int = n'];
    for (let i = 1; i < 100; i++) levels.push(`schema S${i}[n: int = ${i}](S${i - 1}):\n    a${i}?: int = n`);
    const src = `${levels.join('\n')}\nxs = [S99 {} for _ in range(1000)]`;
    expect(code(src, {}, { maxSteps: 50_000 })).toBe('K9001');
    const ok = run(src, {}, { maxSteps: 10_000_000, maxValueSize: 1e9 });
    expect(ok.code).toBeUndefined();
    expect((ok.value!.xs as Record<string, unknown>[])[0]!.a0).toBe(0);
  });

  test('limits are per run', () => {
    expect(code(RECURSE, {}, { maxDepth: 10 })).toBe('K9002');
  });
});

describe('work on long strings is charged by their length, so a loop repeating it ends on the budget', () => {
  // 400,000-character strings, built once (about 5,000 steps); each operation below reads them
  // whole. Charged one step, 200 comparisons would cost nothing against 200,000 steps; charged
  // as a scan (1,600 steps), 20 calls of a per-character builtin would cost 32,000 of them.
  const LONG = '_s = "a" * 400000\n_t = "a" * 400000\n_u = "a" * 399999 + "b"\n';
  const loops: [string, string][] = [
    ['equality of two equal strings', 'r = [_s == _t for _ in range(200)]'],
    ['inequality of two strings of one length', 'r = [_s != _u for _ in range(200)]'],
    ['a dict lookup by a long key', '_d = {_s: 1}\nr = [_d[_t] for _ in range(200)]'],
    ['a long key in a dict', '_d = {_s: 1}\nr = [_t in _d for _ in range(200)]'],
    ['title()', 'r = [len(_s.title()) for _ in range(20)]'],
    ['islower()', 'r = [_s.islower() for _ in range(20)]'],
    ['crypto.blake3', 'import crypto\nr = [crypto.blake3(_s) for _ in range(20)]'],
    ['base32.encode', 'import base32\nr = [len(base32.encode(_s)) for _ in range(20)]'],
  ];
  test.each(loops)('%s', (_name, loop) => {
    expect(code(LONG + loop, {}, { maxSteps: 200_000 })).toBe('K9001');
  });

  test('comparing short strings costs no more than it did: one step per comparison', () => {
    // 10,000 comparisons of 1,000-character strings and 10,000 of short ones fit in 30,000 steps.
    const src = '_s = "a" * 1000\n_t = "a" * 1000\nr = len([1 for i in range(10000) if _s == _t and "k${i}" != "x"])';
    expect(run(src, {}, { maxSteps: 30_000 }).value).toEqual({ r: 10000 });
  });
});

describe('errors in deeply nested run-time values have a location', () => {
  // A list nested 11,400 deep, built by 190 calls each adding 60 levels (a literal may not
  // nest that deep): too deep for the recursive walks of `==`, `in` and interpolation.
  const DEEP = `_f = lambda n, x {
    _f(n - 1, ${'['.repeat(60)}x${']'.repeat(60)}) if n > 0 else x
}
_v = _f(190, 1)
_w = _f(190, 1)
`;
  test.each([['==', 'r = _v == _w'], ['in', 'r = _w in [_v]'], ['interpolation', 'r = "${_v}"']])('%s', (_name, statement) => {
    const o = run(DEEP + statement);
    expect(o.code).toBe('K9002');
    expect(o.line).toBe(6);
  });
});
