import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { pino } from 'pino';
import { FIXTURE_NAMES, Gate, decision, decodePatch, fixture, fixtureText, recordingHandler } from './helpers.js';
import { postChunked, postJson, startHarness, type Harness } from './http-harness.js';
import type { EngineRequest } from '../../src/engine/contract.js';
import { MAX_OBJECT_DEPTH } from '../../src/engine/index.js';

const PATCH = [{ op: 'add', path: '/metadata/labels/team', value: 'a' }];

/** Holds the reviews of objects named `slow` until a test releases them. */
const slowReviews = new Gate();

/** A fake engine whose behaviour is chosen by the object's name. */
function scriptedEngine(request: EngineRequest) {
  const name = request.name ?? '';
  if (name === 'explode') throw new Error('boom: evaluator state lost');
  if (name === 'deny') return decision({ allowed: false, denial: { kind: 'violation', message: 'replicas must be <= 3', policies: ['team-a/replicas'] } });
  if (name === 'slow') return slowReviews.pass().then(() => decision());
  return decision({ patch: PATCH, warnings: ['policy team-a/x: note'] });
}

describe('admission HTTP routes', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(async (r) => scriptedEngine(r));
  });
  afterAll(async () => {
    await harness.close();
  });

  it.each(FIXTURE_NAMES)('answers the recorded %s review on /mutate and /validate', async (name) => {
    const uid = fixture(name).request.uid;
    const mutate = await postJson(harness.base, '/mutate', fixtureText(name));
    expect(mutate.status).toBe(200);
    expect(mutate.headers.get('content-type')).toMatch(/^application\/json/);
    expect(mutate.json).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, patchType: 'JSONPatch' } });
    expect(decodePatch(mutate.json.response.patch)).toEqual(PATCH);
    const validate = await postJson(harness.base, '/validate', fixtureText(name));
    expect(validate.status).toBe(200);
    expect(validate.json.response).toEqual({ uid, allowed: true, warnings: ['policy team-a/x: note'] });
  });

  it('passes the ?timeout= budget and the phase to the engine', async () => {
    const { handler, seen } = recordingHandler(decision());
    const own = await startHarness(handler);
    try {
      const before = Date.now();
      await postJson(own.base, '/validate?timeout=2s', fixtureText('pod-create'));
      expect(seen[0]?.phase).toBe('validate');
      expect(seen[0]?.deadline).toBeGreaterThanOrEqual(before + 1800);
      expect(seen[0]?.deadline).toBeLessThanOrEqual(Date.now() + 1800);
    } finally {
      await own.close();
    }
  });

  it('denies with the engine status code', async () => {
    const body = fixture('deployment-update');
    body.request.name = 'deny';
    const answer = await postJson(harness.base, '/validate', JSON.stringify(body));
    expect(answer.status).toBe(200);
    expect(answer.json.response).toMatchObject({ uid: body.request.uid, allowed: false, status: { code: 403 } });
  });

  it('answers an engine that throws with allowed:false code 500 and HTTP 200, uid echoed', async () => {
    const body = fixture('pod-create');
    body.request.name = 'explode';
    const answer = await postJson(harness.base, '/mutate', JSON.stringify(body));
    expect(answer.status).toBe(200);
    expect(answer.json.response).toMatchObject({ uid: body.request.uid, allowed: false, status: { code: 500 } });
    expect(answer.json.response.status.message).toContain('boom: evaluator state lost');
  });

  it('serves health, readiness and unknown routes', async () => {
    expect((await fetch(`${harness.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${harness.base}/readyz`)).status).toBe(200);
    harness.state.ready = { ready: false, reason: 'policies not loaded yet' };
    const notReady = await fetch(`${harness.base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('policies not loaded yet');
    expect((await fetch(`${harness.base}/healthz`)).status).toBe(200);
    harness.state.ready = { ready: true };
    harness.state.draining = true;
    expect((await fetch(`${harness.base}/readyz`)).status).toBe(503);
    harness.state.draining = false;
    expect((await fetch(`${harness.base}/nope`)).status).toBe(404);
    expect((await fetch(`${harness.base}/mutate`)).status).toBe(404);
  });

  it('keeps serving while a slow review is in flight', async () => {
    const slow = fixture('pod-create');
    slow.request.name = 'slow';
    let slowDone = false;
    const slowAnswer = postJson(harness.base, '/validate', JSON.stringify(slow)).then((answer) => {
      slowDone = true;
      return answer;
    });
    await slowReviews.entered(1);
    expect(harness.inFlight.size).toBe(1);
    const fast = await postJson(harness.base, '/validate', fixtureText('deployment-update'));
    expect(fast.status).toBe(200);
    expect(slowDone).toBe(false);
    slowReviews.release();
    expect((await slowAnswer).json.response.allowed).toBe(true);
    await harness.inFlight.reached(0);
  });
});

describe('concurrency limit', () => {
  it('answers 429 beyond --max-in-flight, without touching the engine, and recovers', async () => {
    let engineCalls = 0;
    const harness = await startHarness(
      async (r) => {
        engineCalls++;
        return scriptedEngine(r);
      },
      { maxInFlight: 2 },
    );
    try {
      const slow = fixture('pod-create');
      slow.request.name = 'slow';
      const inFlight = [postJson(harness.base, '/validate', JSON.stringify(slow)), postJson(harness.base, '/mutate', JSON.stringify(slow))];
      await slowReviews.entered(2);
      const refused = await postJson(harness.base, '/validate', fixtureText('pod-create'));
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(typeof refused.json.message).toBe('string');
      expect(engineCalls).toBe(2);
      slowReviews.release();
      for (const answer of await Promise.all(inFlight)) expect(answer.status).toBe(200);
      const after = await postJson(harness.base, '/validate', fixtureText('pod-create'));
      expect(after.status).toBe(200);
      expect(await harness.metrics.registry.getSingleMetricAsString('kclguard_admission_requests_total')).toContain('decision="rejected"');
    } finally {
      await harness.close();
    }
  });
});

describe('adversarial input', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(async () => decision());
  });
  afterAll(async () => {
    await harness.close();
  });

  async function expectStillServing(): Promise<void> {
    const ok = await postJson(harness.base, '/validate', fixtureText('pod-create'));
    expect(ok.status).toBe(200);
    expect(ok.json.response.uid).toBe(fixture('pod-create').request.uid);
  }

  const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

  const cases: Array<[string, string, string, string]> = [
    ['not JSON', 'this is not json', 'application/json', 'A4001'],
    ['truncated JSON', fixtureText('pod-create').slice(0, 200), 'application/json', 'A4001'],
    ['wrong content type', fixtureText('pod-create'), 'text/plain', 'A4002'],
    ['form content type', 'a=b', 'application/x-www-form-urlencoded', 'A4002'],
    ['deeply nested JSON', nested(100_000), 'application/json', 'A4004'],
    ['deep object inside a review', `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, 'application/json', 'A4004'],
    ['wrong kind', JSON.stringify({ ...fixture('pod-create'), kind: 'Pod' }), 'application/json', 'A4005'],
    ['v1beta1', JSON.stringify({ ...fixture('pod-create'), apiVersion: 'admission.k8s.io/v1beta1' }), 'application/json', 'A4005'],
    ['a JSON array', '[]', 'application/json', 'A4005'],
    ['missing request', '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}', 'application/json', 'A4006'],
    ['a namespace longer than any object name', JSON.stringify({ ...fixture('pod-create'), request: { ...fixture('pod-create').request, namespace: 'n'.repeat(254) } }), 'application/json', 'A4006'],
    ['empty body', '', 'application/json', 'A4007'],
  ];

  it.each(cases)('%s gets HTTP 400 with code and message, and the server keeps serving', async (_label, body, contentType, code) => {
    const answer = await postJson(harness.base, '/mutate', body, contentType);
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe(code);
    expect(typeof answer.json.message).toBe('string');
    expect(answer.json.message.length).toBeGreaterThan(10);
    await expectStillServing();
  });

  it('logs a denial with its kind and policies, never its message, which may quote the object', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const policies = Array.from({ length: 30 }, (_, i) => `team-a/p${i}`);
    const message = 'conflicting values between "value-IN-LOG-42" and "default"';
    const own = await startHarness(async () => decision({ allowed: false, denial: { kind: 'failure', message, policies } }), { logger });
    try {
      const answer = await postJson(own.base, '/validate', JSON.stringify(fixture('pod-create')));
      expect(answer.json.response.status.message).toContain('value-IN-LOG-42');
      const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'admission denied');
      expect(logged).toMatchObject({ denial: 'failure', code: 500 });
      expect(logged.policies).toEqual([...policies.slice(0, 20), '… 10 more']);
      expect(lines.join('\n')).not.toContain('value-IN-LOG-42');
    } finally {
      await own.close();
    }
  });

  it("logs at most 256 characters of a review's name and kind, however long a forged review makes them (a uid over 128 is refused)", async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const own = await startHarness(async () => decision({ allowed: false, denial: { kind: 'violation', message: 'no', policies: ['p'] } }), { logger });
    try {
      const body = fixture('pod-create');
      body.request.uid = 'u'.repeat(128);
      body.request.name = 'n'.repeat(100_000);
      body.request.kind.kind = 'K'.repeat(100_000);
      const answer = await postJson(own.base, '/validate', JSON.stringify(body));
      expect(answer.json.response.uid).toBe(body.request.uid);
      const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'admission denied');
      expect(logged).toBeDefined();
      for (const field of ['uid', 'name', 'kind']) expect(Array.from(String(logged[field])).length).toBeLessThanOrEqual(256);
      // A refused review's message names the field, cut as well.
      const refused = fixture('pod-create');
      refused.request.userInfo.extra = { ['k'.repeat(100_000)]: 1 };
      const bad = await postJson(own.base, '/validate', JSON.stringify(refused));
      expect(bad.json.code).toBe('A4006');
      expect(bad.json.message.length).toBeLessThan(1000);
    } finally {
      await own.close();
    }
  });

  it.each([
    ['debug', ['admission answered', 'admission denied']],
    ['info', ['admission denied']],
  ])('at log level %s, logs an allowed review only at debug level and a denied one at info level', async (level, expected) => {
    const lines: string[] = [];
    const logger = pino({ level }, { write: (line: string) => void lines.push(line) });
    const own = await startHarness(async (request) => decision(request.phase === 'mutate' ? { allowed: true } : { allowed: false, denial: { kind: 'violation', message: 'no', policies: ['p'] } }), { logger });
    try {
      await postJson(own.base, '/mutate', JSON.stringify(fixture('pod-create')));
      await postJson(own.base, '/validate', JSON.stringify(fixture('pod-create')));
      const entries = lines.map((line) => JSON.parse(line) as { msg: string; webhook: string; decision: string; durationMs: number });
      expect(entries.map((entry) => entry.msg)).toEqual(expected);
      for (const entry of entries) {
        expect(entry.decision).toBe(entry.webhook === 'mutate' ? 'allowed' : 'denied');
        expect(entry.durationMs).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await own.close();
    }
  });

  it('accepts a review of the deepest object a policy may output, and refuses one level deeper (A4004)', async () => {
    // A policy's output may nest MAX_OBJECT_DEPTH levels; kclguard must be able to review it again.
    const reviewOf = (depth: number): string => {
      const body = fixture('pod-create');
      body.request.object.spec.deep = JSON.parse(`${'{"a":'.repeat(depth - 2)}1${'}'.repeat(depth - 2)}`);
      return JSON.stringify(body);
    };
    expect((await postJson(harness.base, '/mutate', reviewOf(MAX_OBJECT_DEPTH))).status).toBe(200);
    const deeper = await postJson(harness.base, '/mutate', reviewOf(MAX_OBJECT_DEPTH + 1));
    expect(deeper.status).toBe(400);
    expect(deeper.json.code).toBe('A4004');
  });

  it('missing uid gets A4006', async () => {
    const body = fixture('pod-create');
    delete body.request.uid;
    const answer = await postJson(harness.base, '/validate', JSON.stringify(body));
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe('A4006');
    expect(answer.json.message).toContain('request.uid');
    await expectStillServing();
  });

  it('a body over 3 MiB with content-length gets A4003', async () => {
    const body = fixture('pod-create');
    body.request.object.metadata.annotations.big = 'x'.repeat(3 * 1024 * 1024);
    const answer = await postJson(harness.base, '/mutate', JSON.stringify(body));
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe('A4003');
    await expectStillServing();
  });

  it('a streamed body over 3 MiB without content-length gets A4003', async () => {
    const answer = await postChunked(harness.base, '/mutate', 4 * 1024 * 1024);
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe('A4003');
    await expectStillServing();
  });

  it('a body just under 3 MiB is accepted', async () => {
    const body = fixture('pod-create');
    const base = JSON.stringify(body).length;
    body.request.object.metadata.annotations.big = 'x'.repeat(3 * 1024 * 1024 - base - 100);
    const answer = await postJson(harness.base, '/mutate', JSON.stringify(body));
    expect(answer.status).toBe(200);
  });

  it('forgets a client that disconnects mid-body, so nothing stays in flight', async () => {
    const url = new URL(harness.base);
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write('POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"apiVersion":');
    });
    // The body is being received (half read) before the client goes away.
    await harness.inFlight.until((t) => t.receiving === 1);
    expect(harness.inFlight.size).toBe(0);
    socket.destroy();
    await harness.inFlight.until((t) => t.pending === 0);
    await expectStillServing();
  });

  it('counts refused requests with bounded labels and never puts error text in labels', async () => {
    const text = await harness.metrics.registry.metrics();
    expect(text).toMatch(/kclguard_admission_requests_total\{webhook="mutate",operation="unknown",decision="rejected"\} \d+/);
    for (const line of text.split('\n').filter((l) => l.startsWith('kclguard_'))) {
      expect(line).not.toMatch(/JSON|content type|nesting/);
    }
  });
});
