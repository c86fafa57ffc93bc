/**
 * Property: whatever program is thrown at it, `program.run` returns a value or a diagnostic with
 * a catalogued code — never an exception, never an "internal error" (which would be a bug).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { compile } from '../program.js';
import { ErrorCodes } from '../diagnostics.js';

const atom = fc.constantFrom('1', '0', '-3', '2.5', '"s"', '""', 'True', 'None', 'Undefined', '[]', '{}', '[1, "a"]', '{a: 1}', 'x', 'd', 'l', 'S {}', '1Gi');
const binop = fc.constantFrom('+', '-', '*', '/', '//', '%', '**', '|', '&', '^', '<<', '>>', 'and', 'or', '==', '<', 'in', 'not in', 'is');

const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('e'), binop, tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie('e'), fc.constantFrom('.a', '?.a', '[0]', '?[0]', '[1:]', '.upper()')).map(([a, s]) => `(${a})${s}`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([a, b, c]) => `(${a} if ${b} else ${c})`),
    tie('e').map((a) => `[v for v in ${a}]`),
    tie('e').map((a) => `{k: v for k, v in ${a}}`),
    tie('e').map((a) => `all v in ${a} { v }`),
    tie('e').map((a) => `len(${a})`),
    tie('e').map((a) => `f(${a})`),
    tie('e').map((a) => `{a: ${a}, b = ${a}, **${a}}`),
    tie('e').map((a) => `[*${a}, if ${a}: 1]`),
  ),
})).e;

const prelude = 'x = 1\nd = {a: {b: 2}}\nl = [1, 2, 3]\nf = lambda v { v }\nschema S:\n    a?: int\n';

describe('the evaluator never throws', () => {
  test('random expressions end in a value or a catalogued diagnostic', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const c = compile(`${prelude}r = ${e}\n`, 'main.k');
        const diagnostics = c.ok ? [] : c.diagnostics;
        if (c.ok) {
          const r = c.program.run({ limits: { maxSteps: 100_000, timeoutMs: 500 } });
          if (!r.ok) diagnostics.push(r.diagnostic);
        }
        for (const d of diagnostics) {
          expect(Object.keys(ErrorCodes)).toContain(d.code);
          expect(d.message).not.toMatch(/internal error/);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
