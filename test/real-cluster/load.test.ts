// The fault suite's judgement of each write (test/real-cluster/lib/load.mjs): a wrong decision
// must never pass for a success, and a missing answer must never pass for a decision.
import { describe, expect, test } from '@jest/globals';
// @ts-expect-error -- plain JavaScript module of the suite, without type declarations
import { BROKEN_AFTER_KILL_MS, badSeconds, classify, killFailures, normalizeReason, recoverySeconds, summarize } from './lib/load.mjs';
// @ts-expect-error -- plain JavaScript module of the suite, without type declarations
import { CHURN_ANNOTATION, DENY_MESSAGE, MUTATION_LABEL } from './lib/policies.mjs';

const created = (labels: Record<string, string>, annotations: Record<string, string> = { [CHURN_ANNOTATION]: '3' }) => ({
  status: 201,
  body: { metadata: { labels, annotations } },
});
const denied = (message: string) => ({ status: 403, body: { message: `admission webhook "validate.kclguard.krm.kcl.dev" denied the request: ${message}` } });

describe('classify', () => {
  test('created with the mutation, and refused by the policy, are the expected answers', () => {
    expect(classify(false, created({ [MUTATION_LABEL]: 'true' }), { churn: true }).outcome).toBe('ok');
    expect(classify(true, denied(DENY_MESSAGE)).outcome).toBe('ok');
  });

  test('failing open, a lost mutation or a wrong refusal are wrong answers', () => {
    expect(classify(true, created({ [MUTATION_LABEL]: 'true' }))).toEqual(expect.objectContaining({ outcome: 'wrong' }));
    expect(classify(false, created({}))).toEqual(expect.objectContaining({ outcome: 'wrong' }));
    expect(classify(false, created({ [MUTATION_LABEL]: 'true' }, {}), { churn: true })).toEqual(expect.objectContaining({ outcome: 'wrong' }));
    expect(classify(false, denied(DENY_MESSAGE))).toEqual(expect.objectContaining({ outcome: 'wrong' }));
  });

  test('no decision (webhook unreachable, an aborting policy, a timeout, a dropped connection) is a failed write', () => {
    const unreachable = { status: 500, body: { message: 'Internal error occurred: failed calling webhook "mutate.kclguard.krm.kcl.dev": dial tcp 10.0.0.9:443: connect: connection refused' } };
    expect(classify(false, unreachable).outcome).toBe('failed');
    expect(classify(true, unreachable).outcome).toBe('failed');
    expect(classify(true, { status: 403, body: { message: 'admission webhook "x" denied the request: something else' } }).outcome).toBe('failed');
    expect(classify(false, { error: 'socket hang up' }).outcome).toBe('failed');
    expect(classify(false, { status: 429, body: { message: 'Too many requests' } }).outcome).toBe('failed');
  });

  test('reasons drop addresses and ports so equal failures count together', () => {
    expect(normalizeReason('read tcp 10.88.0.1:60850->10.0.0.250:443: read: connection reset')).toBe('read tcp ADDR: read: connection reset');
  });
});

describe('summaries', () => {
  const record = (i: number, outcome: string, sentAt: number) => ({ i, outcome, sentAt, doneAt: sentAt + 10, expectDenied: false });

  test('counts, latency and the seconds that had failures', () => {
    const records = [record(0, 'ok', 0), record(1, 'failed', 1500), record(2, 'wrong', 1600), record(3, 'ok', 2500)];
    expect(summarize(records)).toEqual(expect.objectContaining({ writes: 4, ok: 2, failed: 1, wrong: 1, p50Ms: 10, maxMs: 10 }));
    expect(badSeconds(records)).toEqual([[1, 0, 1, 1]]);
  });

  test('recovery is the start of the first run of ok writes after the given moment', () => {
    const records = [record(0, 'failed', 1000), record(1, 'ok', 2000), record(2, 'failed', 3000), record(3, 'ok', 4000), record(4, 'ok', 5000)];
    expect(recoverySeconds(records, 1000, 2)).toBe(3);
    expect(recoverySeconds(records, 1000, 3)).toBeUndefined();
  });
});

describe('killFailures', () => {
  const failed = (sentAt: number, doneAt: number, reason: string) => ({ outcome: 'failed', sentAt, doneAt, reason });
  const KILLED = 10_000;
  const ROUTE_GONE = 10_900;

  test('a broken connection to the killed process and a refused one before the route was gone are the kill\'s', () => {
    const records = [
      failed(9_990, 10_010, 'Post "https://kclguard.kclguard.svc:443/mutate": EOF'),
      // Written on a kept-alive connection just after the kill, before the API server read its close.
      failed(10_004, 10_006, 'read tcp ADDR: read: connection reset by peer'),
      failed(10_500, 10_501, 'dial tcp ADDR: connect: connection refused'),
      { outcome: 'ok', sentAt: 10_600, doneAt: 10_610 },
    ];
    const failures = killFailures(records, KILLED, ROUTE_GONE);
    expect(failures).toEqual(expect.objectContaining({ connectionBroken: 2, routedToDeadPod: 1, otherwise: 0 }));
    expect(failures.timeline).toEqual([
      'sent -10 ms answered +10 ms connectionBroken',
      'sent +4 ms answered +6 ms connectionBroken',
      'sent +500 ms answered +501 ms routedToDeadPod',
    ]);
  });

  test('anything else counts against kclguard: refused after the route was gone, broken well after the kill, refused before it, broken and answered before it, another error', () => {
    const records = [
      failed(11_000, 11_001, 'dial tcp ADDR: connect: connection refused'),
      // Before the route was gone, but long after the kill: the surviving replica's, not the kill's.
      failed(KILLED + BROKEN_AFTER_KILL_MS + 1, KILLED + BROKEN_AFTER_KILL_MS + 50, 'read: connection reset by peer'),
      failed(9_000, 9_001, 'dial tcp ADDR: connect: connection refused'),
      failed(9_000, 9_500, 'Post "https://kclguard.kclguard.svc:443/validate": EOF'),
      failed(10_300, 10_400, 'policy failed: ServiceAccount check failed'),
    ];
    expect(killFailures(records, KILLED, ROUTE_GONE)).toEqual(expect.objectContaining({ connectionBroken: 0, routedToDeadPod: 0, otherwise: 5 }));
  });
});
