import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { AdmissionHandler } from '../../src/engine/contract.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createApp } from '../../src/server/app.js';
import { startHttpsListener, type HttpsListener } from '../../src/server/https-listener.js';
import { InFlightTracker } from '../../src/server/in-flight.js';
import { generateSelfSigned, type KeyPair } from '../../src/server/self-signed.js';
import { rejectedCode } from '../support/error-codes.js';
import { Gate, decision, fixture, fixtureText } from './helpers.js';
import { WatchedInFlight } from './http-harness.js';

/**
 * The listener's log, silent except for one event tests wait for: a reloaded certificate being
 * served. Waiting for it replaces polling the served certificate until a deadline.
 */
let onReload: () => void = () => undefined;
const logger = pino({ level: 'info' }, {
  write(line: string) {
    if ((JSON.parse(line) as { msg?: string }).msg === 'serving reloaded certificate') onReload();
  },
});

/** Resolves at the next certificate reload; ask before changing the files. */
function nextReload(): Promise<void> {
  return new Promise((resolve) => {
    onReload = () => {
      onReload = () => undefined;
      resolve();
    };
  });
}
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-tls-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(handler: AdmissionHandler, tls: KeyPair | { certFile: string; keyFile: string }, inFlight = new InFlightTracker()): Promise<HttpsListener> {
  const app = createApp({ handler, metrics: createMetrics(new Registry(), { processMetrics: false }), logger, readiness: () => ({ ready: true }), inFlight });
  const listener = await startHttpsListener({ app, host: '127.0.0.1', port: 0, tls, logger, inFlight, reloadDebounceMs: 50, reloadPollMs: 0 });
  cleanups.push(async () => {
    await listener.close(0);
  });
  return listener;
}

/** One fresh TLS connection: the fingerprint of the certificate served, trusting only `ca`. */
function servedFingerprint(listener: HttpsListener, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: listener.port, path: '/healthz', ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      res.resume();
      res.on('end', () => resolve(fingerprint));
    });
    req.on('error', reject);
    req.end();
  });
}

function postReview(listener: HttpsListener, ca: string, body: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: listener.port, path: '/validate', method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const fingerprint = (pair: KeyPair): string => new X509Certificate(pair.cert).fingerprint256;

/** Lays out a directory like a Kubernetes Secret volume: files behind a `..data` symlink. */
function secretVolume(dir: string, pair: KeyPair, version: string): void {
  const versionDir = join(dir, `..${version}`);
  mkdirSync(versionDir);
  writeFileSync(join(versionDir, 'tls.crt'), pair.cert);
  writeFileSync(join(versionDir, 'tls.key'), pair.key);
  symlinkSync(`..${version}`, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
}

describe('HTTPS listener', () => {
  it('serves admission reviews over TLS with a generated self-signed certificate', async () => {
    const pair = generateSelfSigned();
    const listener = await start(async () => decision(), pair);
    expect(listener.url).toBe(`https://127.0.0.1:${listener.port}`);
    const answer = await postReview(listener, pair.cert, fixtureText('pod-create'));
    expect(answer.status).toBe(200);
    expect(answer.json.response).toEqual({ uid: fixture('pod-create').request.uid, allowed: true });
    const san = new X509Certificate(pair.cert).subjectAltName ?? '';
    expect(san).toContain('DNS:localhost');
    expect(san).toContain('IP Address:127.0.0.1');
  });

  it('serves a rotated certificate without a restart (Secret volume symlink swap)', async () => {
    const dir = tempDir();
    const first = generateSelfSigned();
    const second = generateSelfSigned();
    secretVolume(dir, first, '2026_11_23_a');
    symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
    symlinkSync('..data/tls.key', join(dir, 'tls.key'));
    const listener = await start(async () => decision(), { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') });
    expect(await servedFingerprint(listener, first.cert)).toBe(fingerprint(first));

    const reloaded = nextReload();
    secretVolume(dir, second, '2026_11_23_b');
    await reloaded;
    expect(listener.fingerprint()).toBe(fingerprint(second));
    expect(await servedFingerprint(listener, second.cert)).toBe(fingerprint(second));
    const answer = await postReview(listener, second.cert, fixtureText('deployment-update'));
    expect(answer.json.response.uid).toBe(fixture('deployment-update').request.uid);
  });

  it('reloads files rewritten in place, and keeps the old certificate while the pair mismatches', async () => {
    const dir = tempDir();
    const first = generateSelfSigned();
    const second = generateSelfSigned();
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const listener = await start(async () => decision(), { certFile, keyFile });

    writeFileSync(certFile, second.cert); // key not yet rotated: the pair does not match
    expect(await listener.reloadCertificate()).toBe(false);
    expect(await servedFingerprint(listener, first.cert)).toBe(fingerprint(first));

    const reloaded = nextReload();
    writeFileSync(keyFile, second.key);
    await reloaded;
    expect(await servedFingerprint(listener, second.cert)).toBe(fingerprint(second));
  });

  it('refuses to start with a certificate and key that do not match', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tls.crt'), generateSelfSigned().cert);
    writeFileSync(join(dir, 'tls.key'), generateSelfSigned().key);
    // Checked at start-up rather than at the first handshake.
    expect(await rejectedCode(start(async () => decision(), { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }))).toBe('key-mismatch');
  });

  it('graceful close finishes reviews in flight and stops accepting new connections', async () => {
    const pair = generateSelfSigned();
    const review = new Gate();
    const listener = await start(() => review.pass().then(() => decision()), pair);
    const pending = postReview(listener, pair.cert, fixtureText('pod-create'));
    await review.entered(1);
    const closing = listener.close(5000);
    // close() lets one turn of the event loop read requests already received, then stops listening.
    await new Promise((resolve) => setImmediate(resolve));
    expect(listener.server.listening).toBe(false);
    expect(await rejectedCode(servedFingerprint(listener, pair.cert))).toBe('ECONNREFUSED');
    review.release();
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(answer.json.response.allowed).toBe(true);
    expect(await closing).toBe(true);
  });

  it('graceful close gives up on a hung review after the grace period', async () => {
    const pair = generateSelfSigned();
    const inFlight = new WatchedInFlight();
    const listener = await start(() => new Promise(() => undefined), pair, inFlight);
    const pending = postReview(listener, pair.cert, fixtureText('pod-create')).catch(() => 'cut off');
    await inFlight.reached(1);
    // Only the grace timer is faked; sockets and promises run as usual.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date', 'hrtime', 'performance'] });
    try {
      let drained: boolean | undefined;
      const closing = listener.close(300).then((result) => (drained = result));
      await jest.advanceTimersByTimeAsync(299);
      expect(drained).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      await closing;
      expect(drained).toBe(false);
    } finally {
      jest.useRealTimers();
    }
    expect(await pending).toBe('cut off');
  });
});

describe('connection limits', () => {
  it('bounds connections and slow clients below the API server maximum webhook timeout', async () => {
    const pair = generateSelfSigned();
    const listener = await start(async () => decision(), pair);
    expect(listener.server.maxConnections).toBe(1024);
    expect(listener.server.headersTimeout).toBeLessThanOrEqual(listener.server.requestTimeout);
    // Long enough for a 30 s webhook call, short of node's 5 min default.
    expect(listener.server.requestTimeout).toBeGreaterThan(30_000);
    expect(listener.server.requestTimeout).toBeLessThan(60_000);
    expect((await postReview(listener, pair.cert, fixtureText('pod-create'))).status).toBe(200);
  });
});
