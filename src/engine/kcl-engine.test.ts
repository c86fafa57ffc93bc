/**
 * The engine with real KCL policies run by kclguard's interpreter: the semantics of
 * evaluate.test.ts end to end, plus what only a real interpreter can show (budgets, KCL
 * locations in messages, assert messages).
 */
import { describe, expect, it } from '@jest/globals';
import { cachingAuthorizer, type Authorizer } from './authorizer.js';
import { createAdmissionHandler, type AdmissionHandlerOptions } from './handler.js';
import { InProcessExecutor } from './in-process-executor.js';
import { kclCompiler } from './kcl-compiler.js';
import { PolicySet } from './policy-set.js';
import { clusterKclRun, kclRun, pod, request } from './testing/fixtures.js';

type Doc = Record<string, unknown>;

/**
 * A clock that moves 1 ms each time anything reads it. The evaluator reads the clock every 1,024
 * steps, so a budget of N ms ends a run after about N reads: which budget stops a runaway
 * program is then decided by counting, the same on any machine. Given to the executor, which
 * passes it to every run.
 */
function steppingClock(): { now: () => number } {
  let now = 1_700_000_000_000;
  return { now: () => (now += 1) };
}

async function engine(docs: Doc[], options: Partial<AdmissionHandlerOptions> = {}, clock?: { now: () => number }) {
  const policies = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler, clock }) });
  await policies.replace(docs.map((doc) => ({ doc })));
  return { handler: createAdmissionHandler({ policies, ...options }), policies };
}

// `=` overrides an existing value; `:` would unify and fail on a conflicting one.
const ADD_TEAM = `items = [item | {metadata.annotations.team = option("params").team} for item in option("items")]
`;
const COPY_TEAM_TO_LABEL = `items = [item | {metadata.labels: {"seen-team": item.metadata.annotations.team}} for item in option("items")]
`;
const REQUIRE_APP_LABEL = `_labels = option("items")[0].metadata.labels or {}
assert "app" in _labels, "label app is required"
items = option("items")
`;
const SCHEMA_CHECK = `schema Labelled:
    labels: {str:str}
    check:
        "app" in labels, "app label required"

_checked = Labelled {labels = option("items")[0].metadata.labels or {}}
items = option("items")
`;
const RUNTIME_ERROR = `_items = option("items")
items = [item | {metadata.annotations: {"n": _items[5]}} for item in _items]
`;
const LOOP_FOREVER = `_n = [a + b for a in range(100000) for b in range(100000)]
items = option("items")
`;
const RENAME = `items = [item | {metadata.name: "renamed"} for item in option("items")]
`;
const READS_REQUEST = `_req = option("request")
items = [item | {metadata.annotations: {"by": _req.userInfo.username, "op": _req.operation}} for item in option("items")]
`;
const SYNTAX_ERROR = `items = [item for item in
`;

/** Programs that need no builtins: the verdict classification against real diagnostics. */
describe('real KCL verdicts', () => {
  const WEB_POD = 'apiVersion = "v1"\nkind = "Pod"\nmetadata = {name = "web", namespace = "team-a"}\nspec = {containers = [{name = "app", image = "nginx:1.27"}]}\n';

  it('classifies a failed assert as a violation with its message', async () => {
    const { handler } = await engine([kclRun('v', 'team-a', { source: 'assert 1 > 2, "one is not more than two"\n', mode: 'Validate' })]);
    const decision = await handler(request({ phase: 'validate' }));
    expect(decision.denial).toEqual({ kind: 'violation', message: 'one is not more than two', policies: ['team-a/v'] });
  });

  it('classifies a failed schema check as a violation', async () => {
    const source = 'schema L:\n    labels: {str:str}\n    check:\n        "app" in labels, "app label required"\n\n_c = L {labels = {}}\n';
    const { handler } = await engine([kclRun('v', 'team-a', { source, mode: 'Validate' })]);
    const decision = await handler(request({ phase: 'validate' }));
    expect(decision.outcomes[0]!.result).toBe('violated');
    expect(decision.denial?.kind).toBe('violation');
  });

  it('passes a program that only asserts, and outputs a single document as a mutation', async () => {
    const { handler } = await engine([
      kclRun('a-asserts', 'team-a', { source: 'assert 2 > 1\n' }),
      kclRun('b-document', 'team-a', { source: WEB_POD.replace('{name = "web"', '{labels = {tier = "front"}, name = "web"') }),
    ]);
    const decision = await handler(request());
    expect(decision.outcomes.map((o) => o.result)).toEqual(['passed', 'mutated']);
    expect(decision.patch).toEqual([{ op: 'add', path: '/metadata/labels', value: { tier: 'front' } }]);
  });

  it('stops an endless computation at its time budget and applies failureAction', async () => {
    const source = '_big = [0] * 100000\n_n = [a + b for a in _big for b in _big]\n';
    const { handler } = await engine(
      [kclRun('loop', 'team-a', { source, timeoutMillis: 100 }), kclRun('loop-skip', 'team-b', { source, timeoutMillis: 100, failureAction: 'skip' })],
      {},
      steppingClock(),
    );
    const decision = await handler(request());
    // 100 ms of the stepping clock is about 100,000 steps, well inside the default step budget.
    expect(decision.outcomes.find((o) => o.policy === 'team-a/loop')).toMatchObject({ result: 'failed', code: 'K9003' });
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.denial?.message).toMatch(/^policy team-a\/loop failed: team-a\/loop\.k:2:1: K9003 /);
    const skipped = await handler(request({ object: pod('web', 'team-b') }));
    expect(skipped.allowed).toBe(true);
    expect(skipped.outcomes.find((o) => o.policy === 'team-b/loop-skip')).toMatchObject({ result: 'failed', action: 'skip' });
  });

  it('stops endless recursion at the depth limit as a failure', async () => {
    const source = '_f = lambda n: int -> int {\n    _f(n + 1)\n}\n_x = _f(0)\n';
    const { handler } = await engine([kclRun('recurse', 'team-a', { source, failureAction: 'warn' })]);
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', action: 'warn', reason: expect.stringMatching(/K9002/) });
  });

  it('caps the budget by the request deadline', async () => {
    const source = '_big = [0] * 100000\n_n = [a + b for a in _big for b in _big]\n';
    const clock = steppingClock();
    const { handler } = await engine([kclRun('loop', 'team-a', { source, timeoutMillis: 30000 })], {}, clock);
    const decision = await handler(request({ deadline: clock.now() + 150 }));
    // Without the cap the 30 s budget would let the run reach the step budget first (K9001).
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', code: 'K9003' });
  });

  it('fails on a runtime error naming the KCL location', async () => {
    const { handler } = await engine([kclRun('broken', 'team-a', { source: '_x: any = {a = 1}\nitems = [_x.b.c]\n' })]);
    const decision = await handler(request());
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.denial?.message).toMatch(/^policy team-a\/broken failed: team-a\/broken\.k:2:\d+: E3M38 /);
  });

  it('fails on output that renames the object', async () => {
    const { handler } = await engine([kclRun('rename', 'team-a', { source: `items = [{${WEB_POD.replace('"web"', '"renamed"').trim().split('\n').join(', ')}}]\n` })]);
    const decision = await handler(request());
    expect(decision.outcomes[0]!.result).toBe('failed');
    expect(decision.denial?.message).toContain('metadata.name');
  });
});

describe('real KCL policies', () => {
  it('mutates, with params, and applies two mutations in order as one patch', async () => {
    const { handler } = await engine([
      kclRun('b-copy', 'team-a', { source: COPY_TEAM_TO_LABEL }),
      kclRun('a-add', 'team-a', { source: ADD_TEAM, params: { team: 'payments' } }),
    ]);
    const decision = await handler(request());
    expect(decision.outcomes.map((o) => [o.policy, o.result])).toEqual([
      ['team-a/a-add', 'mutated'],
      ['team-a/b-copy', 'mutated'],
    ]);
    expect(decision.allowed).toBe(true);
    expect(decision.patch).toEqual(
      expect.arrayContaining([
        { op: 'add', path: '/metadata/annotations', value: { team: 'payments' } },
        { op: 'add', path: '/metadata/labels', value: { 'seen-team': 'payments' } },
      ]),
    );
    expect(decision.patch).toHaveLength(2);
  });

  it('passes an unchanged object without a patch', async () => {
    const { handler } = await engine([kclRun('same', 'team-a', { source: 'items = option("items")\n' })]);
    const decision = await handler(request({ object: pod('web', 'team-a', { labels: { x: '1' }, annotations: { _y: 'kept' } }) }));
    expect(decision.outcomes[0]!.result).toBe('passed');
    expect(decision.patch).toEqual([]);
  });

  it('sees the admission request through option("request")', async () => {
    const { handler } = await engine([kclRun('who', 'team-a', { source: READS_REQUEST })]);
    const decision = await handler(request());
    expect(decision.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { by: 'alice', op: 'CREATE' } }]);
  });

  it('denies a violation with the assert message, and a schema check failure too', async () => {
    const { handler } = await engine([kclRun('require-app', 'team-a', { source: REQUIRE_APP_LABEL, mode: 'Validate' })]);
    const denied = await handler(request({ phase: 'validate' }));
    expect(denied.allowed).toBe(false);
    expect(denied.denial?.kind).toBe('violation');
    expect(denied.denial?.message).toBe('label app is required');
    const allowed = await handler(request({ phase: 'validate', object: pod('web', 'team-a', { labels: { app: 'web' } }) }));
    expect(allowed.allowed).toBe(true);

    const schema = await engine([kclRun('schema', 'team-a', { source: SCHEMA_CHECK, mode: 'Validate' })]);
    const checked = await schema.handler(request({ phase: 'validate' }));
    expect(checked.outcomes[0]!.result).toBe('violated');
    expect(checked.denial?.kind).toBe('violation');
  });

  it('aborts on a runtime error with the policy name and KCL line:col', async () => {
    const { handler } = await engine([kclRun('broken', 'team-a', { source: RUNTIME_ERROR })]);
    const decision = await handler(request());
    expect(decision.allowed).toBe(false);
    expect(decision.denial?.kind).toBe('failure');
    expect(decision.denial?.message).toMatch(/^policy team-a\/broken failed: team-a\/broken\.k:2:\d+: E\w+ /);
  });

  it('handles a compile error with the diagnostics, and only for the requests it selects', async () => {
    const { handler, policies } = await engine([
      kclRun('syntax', 'team-a', { source: SYNTAX_ERROR, failureAction: 'warn' }),
      kclRun('ok', 'team-a', { source: ADD_TEAM, params: { team: 't' } }),
    ]);
    const broken = policies.snapshot().policies.find((p) => p.identity.name === 'syntax')!;
    expect(broken.state).toBe('invalid');
    expect(broken.diagnostics[0]!.code).toMatch(/^E1/);
    expect(broken.diagnostics[0]!.span?.file).toBe('team-a/syntax.k');
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes.map((o) => [o.policy, o.result])).toEqual([['team-a/ok', 'mutated'], ['team-a/syntax', 'failed']]);
    expect(decision.warnings).toHaveLength(1);
    expect(decision.patch).toHaveLength(1);
  });

  it('stops a policy that loops forever within its budget and applies failureAction', async () => {
    const { handler } = await engine(
      [
        kclRun('loop-abort', 'team-a', { source: LOOP_FOREVER, timeoutMillis: 100 }),
        kclRun('loop-warn', 'team-b', { source: LOOP_FOREVER, timeoutMillis: 100, failureAction: 'warn' }),
      ],
      {},
      steppingClock(),
    );
    const aborted = await handler(request());
    expect(aborted.allowed).toBe(false);
    expect(aborted.outcomes.find((o) => o.policy === 'team-a/loop-abort')).toMatchObject({ result: 'failed', code: 'K9003' });
    expect(aborted.denial?.kind).toBe('failure');
    const warned = await handler(request({ object: pod('web', 'team-b') }));
    expect(warned.allowed).toBe(true);
    expect(warned.outcomes.find((o) => o.policy === 'team-b/loop-warn')).toMatchObject({ result: 'failed', action: 'warn' });
  });

  it('treats a change to metadata.name as a failure', async () => {
    const { handler } = await engine([kclRun('rename', 'team-a', { source: RENAME, failureAction: 'warn' })]);
    const decision = await handler(request());
    expect(decision.allowed).toBe(true);
    expect(decision.patch).toEqual([]);
    expect(decision.outcomes[0]).toMatchObject({ result: 'failed', action: 'warn' });
  });

  it('drops a mutation the object does not consent to', async () => {
    const { handler } = await engine([kclRun('add', 'team-a', { source: ADD_TEAM, params: { team: 't' } })]);
    const decision = await handler(request({ object: pod('web', 'team-a', { annotations: { canMutate: 'cluster/other' } }) }));
    expect(decision.outcomes[0]!.result).toBe('not_consented');
    expect(decision.patch).toEqual([]);
    expect(decision.warnings).toHaveLength(1);
  });

  it('drops effects the ServiceAccount may not have, caching the answers with their TTLs', async () => {
    let now = 0;
    let allowed = false;
    let calls = 0;
    const inner: Authorizer = async () => {
      calls += 1;
      return allowed;
    };
    const authorizer = cachingAuthorizer(inner, { allowedTtlMs: 300_000, deniedTtlMs: 30_000, now: () => now });
    const { handler } = await engine([kclRun('add', 'team-a', { source: ADD_TEAM, params: { team: 't' }, serviceAccountName: 'mutater' })], { authorizer });
    expect((await handler(request())).outcomes[0]!.result).toBe('not_authorized');
    // The custom verb mutate, then create: namespace-wide, then for the object's name.
    expect(calls).toBe(4);
    allowed = true;
    now += 29_000;
    expect((await handler(request())).outcomes[0]!.result).toBe('not_authorized');
    expect(calls).toBe(4);
    now += 2_000; // past the denied TTL
    expect((await handler(request())).outcomes[0]!.result).toBe('mutated');
    expect(calls).toBe(5);
  });

  it('lets a cluster policy mutate last', async () => {
    const { handler } = await engine([
      clusterKclRun('override', { source: ADD_TEAM, params: { team: 'platform' } }),
      kclRun('tenant', 'team-a', { source: ADD_TEAM, params: { team: 'tenant' } }),
    ]);
    const decision = await handler(request());
    expect(decision.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { team: 'platform' } }]);
  });
});

describe('object values in failure messages', () => {
  // A `:` union with a conflicting value fails (E3M38) with a message quoting both values.
  const CONFLICT = `items = [item | {data: {password: "cG9saWN5LXZhbHVl"}} for item in option("items")]
`;
  const SECRET_VALUE = 'b2JqZWN0LXNlY3JldA==';
  const POLICY_VALUE = 'cG9saWN5LXZhbHVl';
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'team-a' }, data: { password: SECRET_VALUE } };

  function recordingLogger() {
    const lines: unknown[] = [];
    const log = (obj: Record<string, unknown>, msg: string) => void lines.push([obj, msg]);
    return { lines, logger: { debug: log, info: log, warn: log, error: log } };
  }

  function requestFor(resource: 'secrets' | 'configmaps') {
    return request({ object: secret, kind: { group: '', version: 'v1', kind: 'Secret' }, resource: { group: '', version: 'v1', resource } });
  }

  it('never logs, annotates, warns or denies with a Secret\'s values', async () => {
    const { lines, logger } = recordingLogger();
    const { handler } = await engine([
      kclRun('abort', 'team-a', { source: CONFLICT }),
      kclRun('warn', 'team-a', { source: CONFLICT, failureAction: 'warn' }),
    ], { logger });
    const decision = await handler(requestFor('secrets'));
    expect(decision.allowed).toBe(false);
    expect(decision.outcomes.map((o) => [o.result, o.action])).toEqual([['failed', 'abort'], ['failed', 'warn']]);
    const everything = JSON.stringify({ decision, lines });
    expect(everything).not.toContain(SECRET_VALUE);
    expect(everything).not.toContain(POLICY_VALUE);
    expect(decision.denial?.message).toContain('E3M38');
    expect(decision.warnings.join('\n')).toContain('team-a/warn.k:1:10');
    const failures = lines.filter((l) => (l as [unknown, string])[1] === 'policy failed').map((l) => (l as [Record<string, unknown>])[0]);
    expect(failures.map((f) => f.error)).toEqual(['team-a/abort.k:1:10: E3M38 EvaluationError', 'team-a/warn.k:1:10: E3M38 EvaluationError']);
    expect(Object.values(decision.auditAnnotations)[0]).toContain('team-a/warn.k:1:10: E3M38');
  });

  it('keeps the full message in the response for other resources, but not in the log or the audit annotation', async () => {
    const { lines, logger } = recordingLogger();
    const { handler } = await engine([kclRun('warn', 'team-a', { source: CONFLICT, failureAction: 'warn' })], { logger });
    const decision = await handler(requestFor('configmaps'));
    expect(decision.warnings.join('\n')).toContain(SECRET_VALUE);
    expect(JSON.stringify({ lines, audit: decision.auditAnnotations })).not.toContain(SECRET_VALUE);
  });
});

describe('Kubernetes data keys that are special in JavaScript', () => {
  it('passes a ConfigMap with a `__proto__` data key through an identity policy unchanged', async () => {
    const { handler } = await engine([kclRun('identity', 'team-a', { source: 'items = option("items")\n' })]);
    const configMap = JSON.parse('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team-a"}, "data": {"__proto__": "x", "k": "v"}}') as Doc;
    const decision = await handler(
      request({ object: configMap, kind: { group: '', version: 'v1', kind: 'ConfigMap' }, resource: { group: '', version: 'v1', resource: 'configmaps' } }),
    );
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes.map((o) => o.result)).toEqual(['passed']);
    expect(decision.patch).toEqual([]);
  });
});

describe("a policy's log module messages", () => {
  it('reach the server log at their level with the policy, the request uid and the operation, capped per run', async () => {
    const entries: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
    const sink = (level: string) => (obj: Record<string, unknown>, msg: string) => entries.push({ level, obj, msg });
    const logger = { debug: sink('debug'), info: sink('info'), warn: sink('warn'), error: sink('error') };
    const source = 'import log\nlog.warn("looking at", option("items")[0].metadata.name)\n_n = [log.info("n", i) for i in range(150)]\nitems = option("items")\n';
    const { handler } = await engine([kclRun('chatty', 'team-a', { source, mode: 'Validate' })], { logger });
    await handler(request({ phase: 'validate' }));
    const policyLogs = entries.filter((e) => e.obj.policyLog === true);
    expect(policyLogs[0]).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^looking at /), obj: { policy: 'team-a/chatty', operation: 'CREATE' } });
    expect(typeof policyLogs[0].obj.uid).toBe('string');
    expect(policyLogs).toHaveLength(100);
    expect(entries.some((e) => e.level === 'warn' && e.obj.dropped === 51)).toBe(true);
  });
});
