import { describe, expect, test } from '@jest/globals';
import { code } from './test-helpers.js';

describe('guardrails end runaway policies quickly', () => {
  test('unbounded recursion hits the depth limit', () => {
    const t0 = Date.now();
    expect(code('f = lambda n { f(n + 1) }\na = f(0)')).toBe('K9002');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
  test('a huge comprehension hits the step budget', () => {
    const t0 = Date.now();
    expect(code('a = [x for x in range(1000000)]', {}, { maxSteps: 10_000 })).toBe('K9001');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
  test('the wall clock budget', () => {
    const src = 'f = lambda n { [g(i) for i in range(200)] }\ng = lambda i { [i for _ in range(200)] }\na = [f(j) for j in range(1000)]';
    expect(code(src, {}, { timeoutMs: 20, maxSteps: 1e12, maxValueSize: 1e12 })).toBe('K9003');
  });
  test('the value size limit', () => {
    expect(code('a = "x" * 100000', {}, { maxStringBytes: 1000 })).toBe('K9004');
    expect(code('a = [1] * 100000', {}, { maxValueSize: 1000 })).toBe('K9004');
  });
  test('builtins check the size of what they build before building it', () => {
    const t0 = Date.now();
    expect(code('a = range(100000000)')).toBe('K9004');
    expect(code('a = len("{:>200000000}".format(1))')).toBe('K9004');
    expect(code('a = len("{:.200000000f}".format(1.5))')).toBe('K9004');
    expect(code('_s = "a" * 900000\na = len(_s.replace("a", "bbbbbbbbbb"))')).toBe('K9004');
    expect(code('_l = ["aaaaaaaaaa"] * 900000\na = len(",".join(_l))')).toBe('K9004');
    expect(code('_l = [[1] * 900000] * 900\na = len(sum(_l, []))')).toBe('K9004');
    expect(code('import json\na = json.encode([1], indent=100000000)')).toBe('K9004');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(code('a = range(2000)', {}, { maxValueSize: 1000 })).toBe('K9004');
  });
  test('limits are per run', () => {
    expect(code('f = lambda n { f(n + 1) }\na = f(0)', {}, { maxDepth: 10 })).toBe('K9002');
  });
});
