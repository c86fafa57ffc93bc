import { describe, expect, it } from '@jest/globals';
import { InProcessExecutor } from './in-process-executor.js';
import { createAdmissionHandler } from './handler.js';
import { kclCompiler } from './kcl-compiler.js';
import { MAX_OBJECT_DEPTH, MAX_POLICY_MESSAGE_CHARS } from './limits.js';
import { checkOutput } from './output-check.js';
import { nestsDeeperThan } from './run-policy.js';
import { PolicySet } from './policy-set.js';
import { kclRun, pod, request } from './testing/fixtures.js';

async function handlerFor(source: string, spec: Record<string, unknown> = {}) {
  const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }) });
  await policies.replace([{ doc: kclRun('p', 'team-a', { source, failureAction: 'abort', ...spec }) }]);
  return createAdmissionHandler({ policies });
}

describe('output checks', () => {
  it('counts a shared value every time it appears and stops past the limit (K9004)', () => {
    const shared = { blob: 'x'.repeat(1000) };
    const list = Array.from({ length: 100 }, () => shared);
    expect(checkOutput(new Map([['items', list]]), {}, 50_000)).toMatchObject({ code: 'K9004' });
    expect(checkOutput(new Map([['items', list]]), {}, 200_000)).toBeUndefined();
  });

  it('does not count the admitted object itself again', () => {
    const admitted = { data: 'y'.repeat(10_000) };
    expect(checkOutput(new Map([['items', [admitted]]]), { items: [admitted] }, 100)).toBeUndefined();
  });

  it('does not count a part of the input kept where it was, inside a changed object', () => {
    const spec = { data: 'y'.repeat(10_000) };
    const admitted = { metadata: { name: 'web' }, spec };
    const output = { metadata: { name: 'web', labels: { seen: 'yes' } }, spec };
    expect(checkOutput(new Map([['items', [output]]]), { items: [admitted] }, 200)).toBeUndefined();
  });

  it('counts a part of the input again wherever it appears somewhere else, or a second time', () => {
    const admitted = { spec: { data: 'y'.repeat(10_000) } };
    const repeated = new Map([['items', [admitted, admitted, admitted]]]);
    expect(checkOutput(repeated, { items: [admitted] }, 15_000)).toMatchObject({ code: 'K9004' });
    expect(checkOutput(repeated, { items: [admitted] }, 25_000)).toBeUndefined();
    const moved = new Map([['items', [{ spec: { data: 'z' }, status: admitted.spec }]]]);
    expect(checkOutput(moved, { items: [admitted] }, 5_000)).toMatchObject({ code: 'K9004' });
    const otherExport = new Map<string, unknown>([['copy', [admitted]]]);
    expect(checkOutput(otherExport, { items: [admitted] }, 5_000)).toMatchObject({ code: 'K9004' });
  });

  it('gives back an int beyond 2^53 that a double holds exactly as that number, and refuses one it cannot hold', () => {
    const exports = new Map<string, unknown>([['items', [{ size: 2n ** 60n }]]]);
    expect(checkOutput(exports, {})).toBeUndefined();
    expect(exports.get('items')).toEqual([{ size: 2 ** 60 }]);
    expect(checkOutput(new Map([['items', [{ size: 2n ** 53n + 1n }]]]), {})).toMatchObject({ code: 'E3K09' });
  });

  it('names where the int it refuses is, from the export down', () => {
    const exports = new Map<string, unknown>([['items', [{ spec: { ports: [1, { size: 2n ** 53n + 1n }] } }]]]);
    expect(checkOutput(exports, {})?.message).toMatch(/^items\[0\]\.spec\.ports\[1\]\.size is an integer/);
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

  it('through the engine: a patch that would carry an integer beyond ±2^53 fails the policy (E3K09), never a rounded number', async () => {
    // 2^60 is a double exactly, but JSON.stringify writes it as 1152921504606847000.
    const computed = await handlerFor('items = [item | {spec.big = 1 << 60} for item in option("items")]\n');
    const first = await computed(request());
    expect(first.outcomes[0]!.code).toBe('E3K09');
    expect(first.patch).toEqual([]);
    // A list the policy rebuilds carries its unchanged big ints in the patch: they were parsed into
    // doubles (2^53 + 1 came in as 2^53), so writing them back would change the object.
    const shifted = await handlerFor('items = [item | {spec.ids = [0] + item.spec.ids} for item in option("items")]\n');
    const object = pod('web', 'team-a');
    (object as { spec: Record<string, unknown> }).spec.ids = [JSON.parse('9007199254740993'), 7];
    const second = await shifted(request({ object }));
    expect(second.outcomes[0]!.code).toBe('E3K09');
    const small = pod('web', 'team-a');
    (small as { spec: Record<string, unknown> }).spec.ids = [1, 2];
    expect((await shifted(request({ object: small }))).patch.length).toBeGreaterThan(0);
  });

  it('through the engine: the policy whose own change writes such an integer fails, not the last one kept', async () => {
    const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }) });
    await policies.replace([
      { doc: kclRun('a-shift', 'team-a', { source: 'items = [item | {spec.ids = [0] + item.spec.ids} for item in option("items")]\n', failureAction: 'skip' }) },
      { doc: kclRun('b-label', 'team-a', { source: 'items = [item | {metadata.labels.seen = "yes"} for item in option("items")]\n', failureAction: 'abort' }) },
    ]);
    const object = pod('web', 'team-a');
    (object as { spec: Record<string, unknown> }).spec.ids = [2 ** 60];
    const decision = await createAdmissionHandler({ policies })(request({ object }));
    expect(decision.outcomes.find((o) => o.policy === 'team-a/a-shift')!.code).toBe('E3K09');
    expect(decision.outcomes.find((o) => o.policy === 'team-a/b-label')!.result).toBe('mutated');
    expect(decision.allowed).toBe(true);
    expect(decision.patch).toEqual([{ op: 'add', path: '/metadata/labels', value: { seen: 'yes' } }]);
  });

  it('through the engine: paths that would make the patch too large fail only the policy that made them (K9004)', async () => {
    const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }) });
    await policies.replace([
      { doc: kclRun('a-label', 'team-a', { source: 'items = [item | {metadata.labels.seen = "yes"} for item in option("items")]\n', failureAction: 'warn' }) },
      { doc: kclRun('b-shift', 'team-a', { source: 'items = [item | {spec.data = {k: [0] + v for k, v in item.spec.data}} for item in option("items")]\n', failureAction: 'warn' }) },
    ]);
    const handler = createAdmissionHandler({ policies });
    // One long key above a long list: every shifted item's path repeats the key (20M characters;
    // patch-diff.test.ts shows the diff stops at the budget instead of building them).
    const object = pod('web', 'team-a');
    (object as { spec: Record<string, unknown> }).spec.data = { ['k'.repeat(20_000)]: Array.from({ length: 1000 }, (_, i) => i + 1) };
    const decision = await handler(request({ object }));
    expect(decision.outcomes.find((o) => o.policy === 'team-a/b-shift')!.code).toBe('K9004');
    expect(decision.patch).toEqual([{ op: 'add', path: '/metadata/labels', value: { seen: 'yes' } }]);
  });

  it('through the engine: a huge output fails with K9004 before it is diffed or serialized', async () => {
    const handler = await handlerFor('_big = "x" * 1000000\nitems = [item | {metadata.annotations = {"a${i}": _big for i in range(8)}} for item in option("items")]\n');
    const decision = await handler(request());
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.outcomes[0]!.code).toBe('K9004');
  });

  // `spec.x = {a.a...a = 1}` with k keys: the object is level 1, spec 2, x 3, the innermost dict 2 + k.
  const nestingPolicy = (depth: number): string => `items = [item | {spec.x = {${Array(depth - 2).fill('a').join('.')} = 1}} for item in option("items")]\n`;

  it('through the engine: an output object nesting deeper than kclguard accepts in a review fails with K9004', async () => {
    const handler = await handlerFor(nestingPolicy(MAX_OBJECT_DEPTH + 1));
    const decision = await handler(request());
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.outcomes[0]!.code).toBe('K9004');
    expect(decision.patch).toEqual([]);
  });

  it('through the engine: a mode Validate policy whose ignored output nests too deep is not failed for it', async () => {
    // Its output is thrown away (a Validate policy may not mutate), so its depth decides nothing.
    const handler = await handlerFor(nestingPolicy(MAX_OBJECT_DEPTH + 1), { mode: 'Validate' });
    const decision = await handler(request({ phase: 'validate' }));
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes[0]!.result).toBe('passed');
  });

  it('through the engine: an output object nesting exactly as deep as allowed is admitted', async () => {
    const handler = await handlerFor(nestingPolicy(MAX_OBJECT_DEPTH));
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.patch).toHaveLength(1);
  });

  it('counts the admitted object when a policy nests it inside new values', async () => {
    // Each copy nests the whole object one level deeper than the last; unchanged parts count too.
    const object = pod('web', 'team-a');
    (object as { spec: Record<string, unknown> }).spec.deep = JSON.parse(`${'{"a":'.repeat(MAX_OBJECT_DEPTH - 3)}1${'}'.repeat(MAX_OBJECT_DEPTH - 3)}`);
    expect(nestsDeeperThan(object, MAX_OBJECT_DEPTH)).toBe(false);
    const handler = await handlerFor('items = [item | {spec.copy = {inner = item}} for item in option("items")]\n');
    const decision = await handler(request({ object }));
    expect(decision.outcomes[0]!.code).toBe('K9004');
  });

  it('measures nesting without descending past the limit', () => {
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({ a: [[1]] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [[{}]] }, 3)).toBe(true);
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(nestsDeeperThan(deep, MAX_OBJECT_DEPTH)).toBe(true);
  });

  it('takes the parts of the object it was given, kept at the same place, to be within the limit', () => {
    const inner = { a: [[{}]] };
    const before = { spec: inner, list: [inner] };
    expect(nestsDeeperThan({ spec: inner, extra: 1 }, 3, before)).toBe(false);
    expect(nestsDeeperThan({ list: [inner] }, 3, before)).toBe(false);
    // The same part one level deeper, or at another place, is walked.
    expect(nestsDeeperThan({ spec: { inner } }, 3, before)).toBe(true);
    expect(nestsDeeperThan({ other: inner }, 3, before)).toBe(true);
    expect(nestsDeeperThan({ list: [1, inner] }, 3, before)).toBe(true);
  });

  it('bounds a violation message and a failure text at the source, so a huge one costs the main thread nothing', async () => {
    // The engine prefixes a reason or a failure's message with the policy and where it failed.
    const bounded = MAX_POLICY_MESSAGE_CHARS + 200;
    const violating = await handlerFor('assert False, "v" * 4000000\n');
    const violation = await violating(request());
    expect(violation.denial?.kind).toBe('violation');
    expect(violation.denial!.message.length).toBeLessThanOrEqual(MAX_POLICY_MESSAGE_CHARS);
    expect(violation.denial!.message.endsWith('…')).toBe(true);
    expect(violation.outcomes[0]!.reason!.length).toBeLessThanOrEqual(bounded);

    // A failure's text comes from the interpreter (which quotes values briefly); its recovery
    // program's message is the policy's own text, appended to the denial.
    const recovery = { source: 'action = "abort"\nmessage = "r" * 4000000\n' };
    const failing = await handlerFor('x = int("not a number")\n', { recovery });
    const failure = await failing(request());
    expect(failure.denial?.kind).toBe('failure');
    expect(failure.outcomes[0]!.recovery).toHaveProperty('message');
    expect(failure.denial!.message.length).toBeLessThanOrEqual(bounded);
  });
});
