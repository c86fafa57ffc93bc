/** The JSON-data helpers: objects, the part of an input at the same place, own `__proto__` keys. */
import { describe, expect, it } from '@jest/globals';
import { isJsonObject, ownMembersExcept, partAt, setOwn } from './json-data.js';

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

  it('copies own members but the ones left out, a __proto__ member as data', () => {
    const source = JSON.parse('{"uid": "u", "object": {"a": 1}, "__proto__": {"polluted": true}, "name": "web"}') as Record<string, unknown>;
    Object.setPrototypeOf(source, { inherited: 1 });
    const copy = ownMembersExcept(source, new Set(['object']));
    expect(Object.keys(copy)).toEqual(['uid', '__proto__', 'name']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.__proto__).toEqual({ polluted: true });
    expect('inherited' in copy).toBe(false);
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
