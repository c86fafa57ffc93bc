/**
 * The admission route against clients that are not the API server: bodies that never finish,
 * floods of refused requests, encodings it does not send, long paths. Every request here goes
 * through a real socket to the app on a loopback port.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { Gate, decision, fixture, fixtureText } from '../../test/admission/helpers.js';
import { postJson, startHarness, type Harness } from '../../test/admission/http-harness.js';
import type { AdmissionHandler } from '../engine/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(handler: AdmissionHandler, options: Parameters<typeof startHarness>[1] = {}): Promise<Harness> {
  const started = await startHarness(handler, options);
  cleanups.push(() => started.close());
  return started;
}

interface RawAnswer {
  readonly status: number;
  readonly headers: string;
  readonly json: any;
}

/**
 * A raw connection that sends `head` (and whatever part of a body follows it) and then nothing:
 * `answer` settles with what the server sent back once it closes the connection.
 */
function rawRequest(base: string, text: string): { socket: Socket; answer: Promise<RawAnswer> } {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
  cleanups.push(() => void socket.destroy());
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = all.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = body;
      }
      resolve({ status, headers: head.toLowerCase(), json });
    });
  });
  return { socket, answer };
}

/** Headers of a review that promises `length` bytes, and the first byte of its body. */
const stalledReview = (length = 100_000): string =>
  `POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`;

describe('bodies that never finish (F1)', () => {
  it('do not hold --max-in-flight slots: reviews keep being answered, and the stalled ones are cut off at the body deadline with A4009', async () => {
    const own = await harness(async () => decision(), { maxInFlight: 2, limits: { readTimeoutMs: 3_000 } });
    const stalled = Array.from({ length: 6 }, () => rawRequest(own.base, stalledReview()));
    await own.inFlight.until((t) => t.receiving === 6);
    expect(own.inFlight.size).toBe(0);

    // Three times the limit of stalled bodies, and an honest review is still answered.
    const honest = await postJson(own.base, '/validate', fixtureText('pod-create'));
    expect(honest.status).toBe(200);
    expect(honest.json.response.uid).toBe(fixture('pod-create').request.uid);

    for (const { answer } of stalled) {
      const refused = await answer;
      expect(refused.status).toBe(400);
      expect(refused.json.code).toBe('A4009');
      expect(refused.headers).toContain('connection: close');
    }
    await own.inFlight.until((t) => t.pending === 0);
    expect(await own.metrics.registry.getSingleMetricAsString('kclguard_admission_requests_in_flight')).toMatch(/ 0$/m);
  });

  it('counts a review against --max-in-flight once its body is complete', async () => {
    const reviews = new Gate();
    const own = await harness(() => reviews.pass().then(() => decision()), { maxInFlight: 1 });
    const first = postJson(own.base, '/validate', fixtureText('pod-create'));
    await reviews.entered(1);
    expect(own.inFlight.size).toBe(1);
    const refused = await postJson(own.base, '/validate', fixtureText('pod-create'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    reviews.release();
    expect((await first).status).toBe(200);
  });

  it('bounds the bytes of bodies being received to --max-in-flight full-size bodies, answering 429 beyond', async () => {
    // Budget: 1 review of at most 1000 bytes.
    const own = await harness(async () => decision(), { maxInFlight: 1, limits: { maxBytes: 1000 } });
    const big = rawRequest(own.base, `${stalledReview(1000)}${' '.repeat(899)}`);
    await own.inFlight.until((t) => t.receivingBytes === 900);
    const over = rawRequest(own.base, `${stalledReview(1000)}${' '.repeat(199)}`);
    const refused = await over.answer;
    expect(refused.status).toBe(429);
    expect(refused.headers).toContain('connection: close');
    // The refused body gave its bytes back; the first one is still being received.
    expect(own.inFlight.receivingBytes).toBe(900);
    big.socket.destroy();
    await own.inFlight.until((t) => t.pending === 0);
    expect(own.inFlight.receivingBytes).toBe(0);
    // A small body fits again (refused as bad input, not as too busy).
    expect((await postJson(own.base, '/validate', '{}')).json.code).toBe('A4005');
  });
});

describe('refused requests do not flood the log', () => {
  it('writes at most one 429 line per second, with the number left out, and still counts every refusal', async () => {
    const lines: Array<{ msg: string; suppressed?: number }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const reviews = new Gate();
    const own = await harness(() => reviews.pass().then(() => decision()), { maxInFlight: 1, logger });
    const held = postJson(own.base, '/validate', fixtureText('pod-create'));
    await reviews.entered(1);
    const refusals = 40;
    const began = Date.now();
    for (let i = 0; i < refusals; i++) expect((await postJson(own.base, '/validate', fixtureText('pod-create'))).status).toBe(429);
    const seconds = Math.ceil((Date.now() - began) / 1000);
    reviews.release();
    await held;
    const logged = lines.filter((line) => line.msg.includes('429'));
    // The first refusal is logged at once; the rest of this second is summed up at its end at the latest.
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged.length).toBeLessThanOrEqual(seconds + 1);
    expect(logged[0]!.suppressed).toBe(0);
    const rejected = await own.metrics.registry.getSingleMetricAsString('kclguard_admission_requests_total');
    expect(rejected).toMatch(new RegExp(`decision="rejected"\\} ${refusals}$`, 'm'));
  });
});

describe('encodings the API server does not send', () => {
  it.each([
    ['a charset other than UTF-8', { 'content-type': 'application/json; charset=utf-16' }, 'A4002'],
    ['latin1', { 'content-type': 'application/json;charset="ISO-8859-1"' }, 'A4002'],
    ['gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'A4010'],
    ['deflate after identity', { 'content-type': 'application/json', 'content-encoding': 'identity, deflate' }, 'A4010'],
  ])('%s is refused with its code, and the server keeps serving', async (_label, headers, code) => {
    const own = await harness(async () => decision());
    const response = await fetch(`${own.base}/validate`, { method: 'POST', headers, body: fixtureText('pod-create') });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe(code);
    expect((await postJson(own.base, '/validate', fixtureText('pod-create'))).status).toBe(200);
  });

  it.each([
    ['UTF-8 named explicitly', { 'content-type': 'application/json; charset=UTF-8' }],
    ['a quoted utf-8', { 'content-type': 'application/json; charset="utf-8"' }],
    ['identity encoding', { 'content-type': 'application/json', 'content-encoding': 'identity' }],
  ])('%s is accepted', async (_label, headers) => {
    const own = await harness(async () => decision());
    const response = await fetch(`${own.base}/validate`, { method: 'POST', headers, body: fixtureText('pod-create') });
    expect(response.status).toBe(200);
  });
});

describe('unknown routes', () => {
  it('answer 404 without echoing more than 256 characters of the path', async () => {
    const own = await harness(async () => decision());
    const response = await fetch(`${own.base}/${'a'.repeat(10_000)}`);
    expect(response.status).toBe(404);
    const { message } = (await response.json()) as { message: string };
    expect(message.length).toBeLessThan(300);
  });
});
