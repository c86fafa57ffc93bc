import { describe, expect, test } from '@jest/globals';
import { KclError } from '../diagnostics.js';
import { renderExports } from '../yaml-output.js';
import type { KFunction, Value } from '../value.js';
import { BUILTIN_CASES } from './builtins.cases.js';
import { builtinFunction, stringMethod, systemModule } from './index.js';
import { fromSpec, TestContext } from './test-support.js';

function resolve(callee: string, receiver: Value): KFunction {
  if (callee.startsWith('str.')) {
    const m = stringMethod(receiver as string, callee.slice(4));
    if (!m) throw new Error(`no string method ${callee}`);
    return m;
  }
  const dot = callee.indexOf('.');
  if (dot < 0) {
    const f = builtinFunction(callee);
    if (!f) throw new Error(`no builtin ${callee}`);
    return f;
  }
  const member = systemModule(callee.slice(0, dot))?.members.get(callee.slice(dot + 1));
  if (!member) throw new Error(`no module member ${callee}`);
  return member as KFunction;
}

/**
 * Captured calls where kclguard deliberately gives an error code instead of the reference's
 * result (docs/kcl-builtins.md, "Regular expressions"): constructs that need a backtracking
 * engine are refused (K9006) by the linear-time one. Only shrinks.
 */
const DEVIATIONS: Readonly<Record<string, string>> = {
  'regex.match("aa", "(a)\\\\1")': 'K9006',
  'regex.match("ab", "a(?=b)")': 'K9006',
};

describe('builtins agree with the reference (kcl-lib 0.13.2)', () => {
  test('every listed deviation is a captured call the reference answered', () => {
    for (const call of Object.keys(DEVIATIONS)) {
      expect(BUILTIN_CASES.find((c) => c.call === call)?.yaml).toBeDefined();
    }
  });
  for (const c of BUILTIN_CASES) {
    const deviation = DEVIATIONS[c.call];
    test(c.call, () => {
      let args = c.args.map(fromSpec);
      const fn = resolve(c.callee, args[0]);
      if (c.callee.startsWith('str.')) args = args.slice(1);
      const kwargs = new Map(Object.entries(c.kwargs).map(([k, v]) => [k, fromSpec(v)]));
      const run = () => fn.call({ args, kwargs }, new TestContext());
      const error = deviation ?? c.error;
      if (error) {
        let code: string | undefined;
        try {
          run();
        } catch (e) {
          code = e instanceof KclError ? e.diagnostic.code : `non-KclError: ${String(e)}`;
        }
        expect(code).toBe(error);
        return;
      }
      const yaml = renderExports(new Map([['r', run()]]));
      const expected = c.yaml!.endsWith('\n') ? c.yaml! : `${c.yaml}\n`;
      expect(yaml).toBe(expected);
    });
  }
});

describe('startswith / endswith without start and end', () => {
  // They compare UTF-8 bytes (the reference's offsets are byte offsets); the common call with a
  // prefix alone compares code units instead: it must answer exactly as the byte comparison,
  // which a call with an explicit start (0) still takes.
  const strings = ['', 'a', 'abc', 'héllo', 'hé', 'h\u00e9', 'e\u0301', '😀x', '\uD83D', '\uDE00', 'x\uD800', 'x\uDBFF', 'registry.example.com/web:1.27', ':1.27'];
  test.each(['startswith', 'endswith'])('%s agrees with the byte comparison on every pair', (method) => {
    for (const self of strings) {
      for (const fix of strings) {
        const fn = stringMethod(self, method)!;
        const plain = fn.call({ args: [fix], kwargs: new Map() }, new TestContext());
        const bytes = fn.call({ args: [fix, 0], kwargs: new Map() }, new TestContext());
        expect([self, fix, plain]).toEqual([self, fix, bytes]);
      }
    }
  });
});
