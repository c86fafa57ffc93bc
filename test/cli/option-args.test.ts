/**
 * `-D name=value` against the reference: for every input of fixtures/option-args/inputs.txt,
 * the value our parser gives option() must print (value and typeof) as the reference printed it
 * (golden.json, written by scripts/capture-option-args.py from kcl-lib 0.13.2).
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { compile, optionValue, parseOptionArgument, renderRunOutput } from '../../src/kcl/index.js';
import { judgeStdout } from '../conformance/compare.js';
import { fixture } from './cli-harness.js';

interface Golden {
  readonly program: string;
  readonly cases: readonly { readonly input: string; readonly yaml: string }[];
}

const golden = JSON.parse(readFileSync(fixture('option-args', 'golden.json'), 'utf8')) as Golden;

function ours(input: string): string {
  const compiled = compile(golden.program, 'main.k');
  if (!compiled.ok) throw new Error('the probe program must compile');
  const run = compiled.program.run({ options: { k: optionValue(input) } });
  if (!run.ok) return `error: ${run.diagnostic.code}`;
  return renderRunOutput(run);
}

describe('-D values as the reference parses them', () => {
  test('the golden covers the documented cases', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(50);
  });

  test.each(golden.cases.map((c) => [JSON.stringify(c.input), c] as const))('%s', (_name, c) => {
    expect({ input: c.input, verdict: judgeStdout(`${c.yaml}\n`, { kind: 'stdout', printed: '', yaml: ours(c.input) }) }).toEqual({
      input: c.input,
      verdict: { pass: true },
    });
  });
});

describe('parseOptionArgument', () => {
  test('splits name=value at its single =', () => {
    expect(parseOptionArgument('replicas=3')).toEqual({ ok: true, name: 'replicas', value: 3 });
    expect(parseOptionArgument('flag=False')).toEqual({ ok: true, name: 'flag', value: false });
  });

  test.each(['novalue', 'k=', '=v', ' =v', 'k= ', 'k=a=b'])('rejects %j as the reference does', (spec) => {
    expect(parseOptionArgument(spec).ok).toBe(false);
  });
});
