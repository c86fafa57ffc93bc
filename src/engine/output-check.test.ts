import { describe, expect, it } from '@jest/globals';
import { InProcessExecutor } from './in-process-executor.js';
import { createAdmissionHandler } from './handler.js';
import { kclCompiler } from './kcl-compiler.js';
import { checkOutput } from './output-check.js';
import { PolicySet } from './policy-set.js';
import { kclRun, pod, request } from './testing/fixtures.js';

async function handlerFor(source: string) {
  const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }) });
  await policies.replace([{ doc: kclRun('p', 'team-a', { source, failureAction: 'abort' }) }]);
  return createAdmissionHandler({ policies });
}

describe('output checks', () => {
  it('counts a shared value every time it appears and stops past the limit (K9004)', () => {
    const shared = { blob: 'x'.repeat(1000) };
    const list = Array.from({ length: 100 }, () => shared);
    expect(checkOutput(new Map([['items', list]]), new Set(), 50_000)).toMatchObject({ code: 'K9004' });
    expect(checkOutput(new Map([['items', list]]), new Set(), 200_000)).toBeUndefined();
  });

  it('does not count the admitted object itself again', () => {
    const admitted = { data: 'y'.repeat(10_000) };
    expect(checkOutput(new Map([['items', [admitted]]]), new Set([admitted]), 100)).toBeUndefined();
  });

  it('gives back an int beyond 2^53 that a double holds exactly as that number, and refuses one it cannot hold', () => {
    const exports = new Map<string, unknown>([['items', [{ size: 2n ** 60n }]]]);
    expect(checkOutput(exports, new Set())).toBeUndefined();
    expect(exports.get('items')).toEqual([{ size: 2 ** 60 }]);
    expect(checkOutput(new Map([['items', [{ size: 2n ** 53n + 1n }]]]), new Set())).toMatchObject({ code: 'E3K09' });
  });

  it('names where the int it refuses is, from the export down', () => {
    const exports = new Map<string, unknown>([['items', [{ spec: { ports: [1, { size: 2n ** 53n + 1n }] } }]]]);
    expect(checkOutput(exports, new Set())?.message).toMatch(/^items\[0\]\.spec\.ports\[1\]\.size is an integer/);
  });

  it('through the engine: an unchanged int64 field never fails a mutating policy (issue 11 item 4)', async () => {
    const handler = await handlerFor('items = [item | {metadata.labels.seen = "yes"} for item in option("items")]\n');
    const object = pod('web', 'team-a', { annotations: { note: 'big' } });
    (object as Record<string, unknown>).status = { bytes: 9007199254740993, nanos: 1733467200123456789 };
    const decision = await handler(request({ object }));
    expect(decision.allowed).toBe(true);
    expect(decision.patch).toEqual([{ op: 'add', path: '/metadata/labels', value: { seen: 'yes' } }]);
  });

  it('through the engine: a value the policy computes beyond what a double holds is a failure (E3K09)', async () => {
    const handler = await handlerFor('items = [item | {metadata.labels.n = "x", spec.big = 9007199254740993} for item in option("items")]\n');
    const decision = await handler(request());
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.outcomes[0]!.code).toBe('E3K09');
  });

  it('through the engine: a huge output fails with K9004 before it is diffed or serialized', async () => {
    const handler = await handlerFor('_big = "x" * 1000000\nitems = [item | {metadata.annotations = {"a${i}": _big for i in range(8)}} for item in option("items")]\n');
    const decision = await handler(request());
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.outcomes[0]!.code).toBe('K9004');
  });
});
