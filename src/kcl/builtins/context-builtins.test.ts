// Builtins that talk to the run (option, print, runtime.catch), the sandboxed file functions and
// the clock-dependent datetime members. Expected values were captured from the reference
// (kcl-lib 0.13.2): `kcl run -D x=<json>` for options, its log output for print.
import { describe, expect, test } from '@jest/globals';
import { KclError, kclError } from '../diagnostics.js';
import { renderExports } from '../yaml-output.js';
import { KFloat, KFunction, UNDEFINED, type Value } from '../value.js';
import { toKcl } from '../convert.js';
import { builtinFunction, formatInterpolation, systemModule } from './index.js';
import { call, fromSpec, TestContext } from './test-support.js';

const fn = (name: string) => builtinFunction(name)!;
const memberOf = (module: string, name: string) => systemModule(module)!.members.get(name) as KFunction;
const yamlOf = (v: Value) => renderExports(new Map([['a', v]]));

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    return e instanceof KclError ? e.diagnostic.code : `not a KclError: ${String(e)}`;
  }
  return undefined;
}

describe('option', () => {
  // [option kwargs, -D value as JSON (undefined: not given), expected `kcl run` output or error]
  const cases: [Record<string, unknown>, string | undefined, string][] = [
    [{}, '"5"', "a: '5'\n"],
    [{ type: 'int' }, '"5"', 'a: 5\n'],
    [{ type: 'int' }, '5', 'a: 5\n'],
    [{ type: 'str' }, '5', "a: '5'\n"],
    [{ type: 'str' }, '1.5', "a: '1.5'\n"],
    [{ type: 'str' }, 'true', "a: 'true'\n"],
    [{ type: 'bool' }, '"true"', 'a: true\n'],
    [{ type: 'bool' }, '"yes"', 'a: false\n'],
    [{ type: 'bool' }, '1', 'a: true\n'],
    [{ type: 'bool' }, '[1]', '{}\n'],
    [{ type: 'float' }, '"1.5"', 'a: 1.5\n'],
    [{ type: 'float' }, '"abc"', 'a: 0.0\n'],
    [{ type: 'dict' }, '{"a": 1}', 'a:\n  a: 1\n'],
    [{ default: 3 }, '7', 'a: 7\n'],
    [{ required: true }, 'null', 'a: null\n'],
    [{ type: 'int' }, '1.9', 'a: 1\n'],
    [{}, undefined, 'a: null\n'],
    [{ default: 5 }, undefined, 'a: 5\n'],
    [{ type: 'int', default: '5' }, undefined, 'a: 5\n'],
    [{ type: 'str', default: 1 }, undefined, "a: '1'\n"],
    [{ type: 'bool', default: 'true' }, undefined, 'a: true\n'],
    [{ type: 'float', default: 1 }, undefined, 'a: 1.0\n'],
    [{ type: 'int', default: { $f: 1.7 } }, undefined, 'a: 1\n'],
    [{ type: 'list' }, '"abc"', 'E3M38'],
    [{ type: 'int' }, 'null', 'E3M38'],
    [{ type: 'str' }, '[1, "a"]', 'E3M38'],
    [{ type: 'int' }, '"1Gi"', 'E3M38'],
    [{ required: true }, undefined, 'E3M38'],
    [{ type: 'badtype', default: 1 }, undefined, 'E3M38'],
    [{ type: 'int', default: 'abc' }, undefined, 'E3M38'],
    [{ type: 'str', default: null }, undefined, 'E3M38'],
  ];
  test.each(cases)('option("x", %j) with -D x=%s', (kwargs, given, expected) => {
    const options: Record<string, Value> = given === undefined ? {} : { x: toKcl(JSON.parse(given)) };
    const kw = Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, fromSpec(v)]));
    const run = () => call(fn('option'), ['x'], kw, new TestContext(options));
    if (expected.startsWith('E')) expect(codeOf(run)).toBe(expected);
    else expect(yamlOf(run())).toBe(expected);
  });
});

describe('print', () => {
  test('joins with spaces (ignoring sep) and ends with end', () => {
    const ctx = new TestContext();
    expect(call(fn('print'), ['a', 'b'], { sep: '-', end: '!' }, ctx)).toBeNull();
    call(fn('print'), [], {}, ctx);
    call(fn('print'), ['x', 1, null, ['a'], toKcl({ k: 'v' })], {}, ctx);
    call(fn('print'), ['a'], { end: '' }, ctx);
    expect(ctx.printed).toEqual(['a b!', '\n', "x 1 None [a] {'k': 'v'}\n", 'a']);
  });
});

describe('runtime.catch', () => {
  const catchFn = memberOf('runtime', 'catch');
  test('returns the message of a raised error, Undefined when none', () => {
    const failing = new KFunction('f', () => {
      throw kclError('E3M41', 'boom');
    });
    expect(call(catchFn, [failing])).toBe('boom');
    expect(call(catchFn, [new KFunction('ok', () => 1)])).toBe(UNDEFINED);
  });
  test('guardrail errors are not catchable', () => {
    const runaway = new KFunction('f', () => {
      throw kclError('K9001', 'step budget exceeded');
    });
    expect(codeOf(() => call(catchFn, [runaway]))).toBe('K9001');
  });
});

describe('sandbox', () => {
  test.each([
    ['file', 'read'],
    ['file', 'glob'],
    ['file', 'write'],
    ['file', 'exists'],
    ['json', 'dump_to_file'],
    ['yaml', 'dump_to_file'],
    ['crypto', 'filesha256'],
  ])('%s.%s is a SandboxViolation', (module, name) => {
    expect(codeOf(() => call(memberOf(module, name), ['x']))).toBe('K9005');
  });
});

describe('clock-dependent members have the reference shape', () => {
  test('datetime', () => {
    expect(call(memberOf('datetime', 'today'), [])).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$/);
    expect(call(memberOf('datetime', 'now'), [])).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    expect(call(memberOf('datetime', 'now'), ['%Y'])).toMatch(/^\d{4}$/);
    expect(call(memberOf('datetime', 'date'), [])).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const ticks = call(memberOf('datetime', 'ticks'), []);
    expect(ticks).toBeInstanceOf(KFloat);
    expect(Number.isInteger((ticks as KFloat).value)).toBe(true);
  });
  test('crypto.uuid is a v4 UUID', () => {
    expect(call(memberOf('crypto', 'uuid'), [])).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('interpolation format specs', () => {
  // `"${_d: #json}"` / `"${_d: #yaml}"` with _d = {"a": 1, "b": [1, "x"], "c": None, "_h": 1, "f": 1.0, "s": {"n": "y"}}
  const d = fromSpec({
    $d: [['a', 1], ['b', [1, 'x']], ['c', null], ['_h', 1], ['f', { $f: 1 }], ['s', { $d: [['n', 'y']] }]],
  });
  test('#json', () => {
    expect(formatInterpolation(d, '#json')).toBe('{"a": 1, "b": [1, "x"], "c": null, "_h": 1, "f": 1.0, "s": {"n": "y"}}');
    expect(formatInterpolation(new KFloat(1.5), '#json')).toBe('1.5');
  });
  test('#yaml', () => {
    expect(formatInterpolation(d, '#yaml')).toBe("a: 1\nb:\n- 1\n- x\nc: null\n_h: 1\nf: 1.0\ns:\n  'n': 'y'\n");
    expect(formatInterpolation(null, '#yaml')).toBe('null\n');
  });
});

describe('module lookup', () => {
  test('unknown modules and members', () => {
    expect(systemModule('nosuch')).toBeUndefined();
    expect(systemModule('regex')).toBe(systemModule('regex'));
    expect(systemModule('net')!.members.has('is_IP_in_CIDR')).toBe(true);
  });
});
