/**
 * The listener against clients that hold connections without using them: TCP connections that
 * never start TLS, and bodies still arriving when shutdown begins.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { decision, fixture, fixtureText } from '../../test/admission/helpers.js';
import { WatchedInFlight } from '../../test/admission/http-harness.js';
import { createMetrics } from '../observability/index.js';
import { createApp } from './app.js';
import { TLS_HANDSHAKE_TIMEOUT_MS, startHttpsListener, type HttpsListener } from './https-listener.js';
import type { BodyLimits } from './json-body.js';
import { generateSelfSigned } from './self-signed.js';

const logger = pino({ level: 'silent' });
const pair = generateSelfSigned();

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: { handshakeTimeoutMs?: number; maxConnections?: number; limits?: BodyLimits } = {}): Promise<{ listener: HttpsListener; inFlight: WatchedInFlight }> {
  const inFlight = new WatchedInFlight();
  const app = createApp({
    handler: async () => decision(),
    metrics: createMetrics(new Registry(), { processMetrics: false }),
    logger,
    readiness: () => ({ ready: true }),
    inFlight,
    maxInFlight: 4,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const listener = await startHttpsListener({
    app,
    host: '127.0.0.1',
    port: 0,
    tls: pair,
    logger,
    inFlight,
    reloadPollMs: 0,
    ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
  });
  cleanups.push(() => listener.close(0));
  return { listener, inFlight };
}

/** A TCP connection that never sends a byte; resolves `closed` when the server drops it. */
function bareConnection(listener: HttpsListener): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(listener.port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

function healthz(listener: HttpsListener): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: listener.port, path: '/healthz', ca: pair.cert, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A TLS connection that has sent `text`; `answer` is everything received until it closes. */
function tlsRequest(listener: HttpsListener, text: string): Promise<{ write: (more: string) => void; answer: Promise<{ status: number; json: any }> }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: listener.port, ca: pair.cert, servername: 'localhost' }, () => {
      socket.write(text);
      resolve({ write: (more) => socket.write(more), answer });
    });
    cleanups.push(() => void socket.destroy());
    const chunks: Buffer[] = [];
    const answer = new Promise<{ status: number; json: any }>((done) => {
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => {
        const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n', 2);
        let json: unknown = body;
        try {
          json = JSON.parse(body);
        } catch {
          // not JSON
        }
        done({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), json });
      });
    });
    socket.once('error', reject);
    socket.on('error', () => undefined);
  });
}

describe('TLS handshake deadline (F2)', () => {
  it('is about 10 s by default, far below node default of 120 s', () => {
    expect(TLS_HANDSHAKE_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
  });

  it('drops a connection that never starts TLS', async () => {
    const { listener } = await start({ handshakeTimeoutMs: 200 });
    const { closed } = await bareConnection(listener);
    await closed;
    expect(await healthz(listener)).toBe(200);
  });

  it('frees the connection cap that connections which never start TLS had filled', async () => {
    const { listener } = await start({ handshakeTimeoutMs: 2_000, maxConnections: 3 });
    const bare = await Promise.all([bareConnection(listener), bareConnection(listener), bareConnection(listener)]);
    // Refused at accept while the cap is full...
    await expect(healthz(listener)).rejects.toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) });
    // ...and served again once the handshake deadline dropped them.
    await Promise.all(bare.map((b) => b.closed));
    expect(await healthz(listener)).toBe(200);
  });

  it('checks request deadlines every few seconds, so an idle TLS connection is dropped soon after the headers deadline', async () => {
    const { listener } = await start();
    expect(listener.server.headersTimeout).toBeLessThanOrEqual(15_000);
    expect((listener.server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval).toBeLessThanOrEqual(2_000);
  });
});

describe('shutdown while a body is still arriving', () => {
  const head = (length: number): string => `POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

  it('waits for the body, answers the review and then reports a clean stop', async () => {
    const { listener, inFlight } = await start();
    const body = fixtureText('pod-create');
    const client = await tlsRequest(listener, head(Buffer.byteLength(body)) + body.slice(0, 10));
    await inFlight.until((t) => t.receiving === 1);
    let stopped: boolean | undefined;
    const closing = listener.close(5_000).then((drained) => (stopped = drained));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBeUndefined();
    client.write(body.slice(10));
    const answer = await client.answer;
    expect(answer.status).toBe(200);
    expect(answer.json.response.uid).toBe(fixture('pod-create').request.uid);
    expect(await closing).toBe(true);
  });

  it('a body that never finishes ends at the body deadline (A4009), within the grace period', async () => {
    const { listener } = await start({ limits: { readTimeoutMs: 200 } });
    const client = await tlsRequest(listener, `${head(100_000)}{`);
    const closing = listener.close(10_000);
    const answer = await client.answer;
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe('A4009');
    expect(await closing).toBe(true);
  });

  it('a body still arriving when the grace period ends is cut off', async () => {
    const { listener, inFlight } = await start();
    const client = await tlsRequest(listener, `${head(100_000)}{`);
    await inFlight.until((t) => t.receiving === 1);
    expect(await listener.close(100)).toBe(false);
    expect((await client.answer).status).toBe(0);
  });
});
