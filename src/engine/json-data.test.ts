/** The JSON-data helpers: objects, the part of an input at the same place, own `__proto__` keys. */
import { describe, expect, it } from '@jest/globals';
import { isJsonObject, partAt, setOwn } from './json-data.js';

describe('JSON data helpers', () => {
  it('tells JSON objects from lists, null and scalars', () => {
    expect([{}, { a: 1 }].map(isJsonObject)).toEqual([true, true]);
    expect([[], null, 'x', 1, undefined].map(isJsonObject)).toEqual([false, false, false, false, false]);
  });

  it('finds the part at the same place only in a container of the same kind, and only own members', () => {
    const inner = { x: 1 };
    expect(partAt({ spec: inner }, 'spec')).toBe(inner);
    expect(partAt([0, inner], 1)).toBe(inner);
    expect(partAt({ 1: inner }, 1)).toBeUndefined();
    expect(partAt([inner], '0')).toBeUndefined();
    expect(partAt({}, 'constructor')).toBeUndefined();
    expect(partAt(JSON.parse('{"__proto__": {"x": 1}}'), '__proto__')).toEqual({ x: 1 });
    expect(partAt(undefined, 'spec')).toBeUndefined();
    expect(partAt('text', 0)).toBeUndefined();
  });

  it('sets a __proto__ key as an own property, leaving the prototype alone', () => {
    const target: Record<string, unknown> = {};
    setOwn(target, '__proto__', { polluted: true });
    setOwn(target, 'name', 'web');
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.keys(target)).toEqual(['__proto__', 'name']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
