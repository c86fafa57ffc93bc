/**
 * Issue 11 item 1: certificate files that are empty, partial or mismatched are "not usable yet".
 * The previous pair keeps serving, a metric and a log line say so, no timer throws, and an
 * in-place (non-atomic) rewrite under a load of TLS handshakes fails none of them.
 */
import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { createApp } from '../../src/server/app.js';
import { CertificateProblem, readKeyPair, validateKeyPair } from '../../src/server/certificate-pair.js';
import { startHttpsListener, type HttpsListener } from '../../src/server/https-listener.js';
import { InFlightTracker } from '../../src/server/in-flight.js';
import { generateSelfSigned, type KeyPair } from '../../src/server/self-signed.js';
import { capturingLogger, handshake, startLoad, trackDeaths, yieldTurns } from './churn-harness.js';
import { decision } from './helpers.js';

let first: KeyPair;
let second: KeyPair;
beforeAll(() => {
  // Distinct subjects: a client trusting both must not mistake one for the issuer of the other.
  first = generateSelfSigned({ hosts: ['localhost', '127.0.0.1'] });
  second = generateSelfSigned({ hosts: ['127.0.0.1', 'localhost'] });
});

// Loads and rotations take seconds; a busy machine must not fail them on jest's 5 s default.
jest.setTimeout(60_000);

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const fingerprint = (pair: KeyPair): string => new X509Certificate(pair.cert).fingerprint256;

function certificateFiles(pair: KeyPair): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-cert-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  writeFileSync(files.certFile, pair.cert);
  writeFileSync(files.keyFile, pair.key);
  return files;
}

async function listen(
  files: { certFile: string; keyFile: string },
  timing: { reloadDebounceMs: number; reloadPollMs: number; reloadSettleMs?: number },
): Promise<{ listener: HttpsListener; metrics: Metrics; log: ReturnType<typeof capturingLogger> }> {
  const log = capturingLogger();
  const metrics = createMetrics(new Registry(), { processMetrics: false });
  const inFlight = new InFlightTracker();
  const app = createApp({ handler: async () => decision(), metrics, logger: log.logger, readiness: () => ({ ready: true }), inFlight });
  const listener = await startHttpsListener({ app, host: '127.0.0.1', port: 0, tls: files, logger: log.logger, inFlight, metrics, ...timing });
  cleanups.push(() => listener.close(0));
  return { listener, metrics, log };
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value;
}

function problemCode(pair: KeyPair): string {
  try {
    validateKeyPair(pair);
    return 'usable';
  } catch (error) {
    return error instanceof CertificateProblem ? error.code : `unexpected: ${String(error)}`;
  }
}

describe('certificate pairs that are not usable yet', () => {
  it('tells every kind of broken pair by its code', () => {
    const chain = `${first.cert}${second.cert}`;
    expect(problemCode(first)).toBe('usable');
    expect(problemCode({ cert: '', key: first.key })).toBe('empty-certificate');
    expect(problemCode({ cert: first.cert, key: '\n' })).toBe('empty-key');
    expect(problemCode({ cert: first.cert.slice(0, 400), key: first.key })).toBe('incomplete-pem');
    expect(problemCode({ cert: first.cert, key: first.key.slice(0, 300) })).toBe('incomplete-pem');
    // Cut inside the BEGIN line of the second certificate of a chain: the first alone would parse.
    expect(problemCode({ cert: chain.slice(0, first.cert.length + 12), key: first.key })).toBe('incomplete-pem');
    expect(problemCode({ cert: first.cert, key: second.key })).toBe('key-mismatch');
    expect(problemCode({ cert: 'hello\n', key: first.key })).toBe('invalid-certificate');
    expect(problemCode({ cert: first.cert, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' })).toBe('invalid-key');
  });

  it('refuses an empty key or certificate at start-up instead of failing every handshake later', async () => {
    for (const [pair, code] of [
      [{ cert: first.cert, key: '' }, 'empty-key'],
      [{ cert: '', key: first.key }, 'empty-certificate'],
    ] as const) {
      const files = certificateFiles(pair);
      await expect(readKeyPair(files)).rejects.toMatchObject({ code });
      await expect(listen(files, { reloadDebounceMs: 10, reloadPollMs: 0 })).rejects.toMatchObject({ code });
    }
  });

  it('keeps serving the previous pair when the certificate file is emptied, says so in a metric and a log line, and no timer throws', async () => {
    const deaths = trackDeaths();
    cleanups.push(() => deaths.dispose());
    const files = certificateFiles(first);
    // The poll runs often here so that many reloads meet the empty file.
    const { listener, metrics, log } = await listen(files, { reloadDebounceMs: 5, reloadPollMs: 5 });
    writeFileSync(files.certFile, '');
    const warned = await log.waitFor((line) => line.msg.startsWith('certificate files not usable yet') && line.code === 'empty-certificate');
    expect(warned.level).toBe(40);
    // Every later poll meets the same problem: debug lines, not one warning per poll.
    await log.waitFor((line) => line.level === 20 && line.code === 'empty-certificate');
    expect(log.lines.filter((line) => line.code === 'empty-certificate' && line.level === 40)).toHaveLength(1);
    expect(await handshake(listener.port, first.cert)).toBe(fingerprint(first));
    expect(await metricValue(metrics, 'kclguard_tls_certificate_files_usable')).toBe(0);
    expect(await metricValue(metrics, 'kclguard_tls_certificate_reloads_total', { result: 'not_usable' })).toBeGreaterThanOrEqual(2);

    writeFileSync(files.keyFile, second.key);
    writeFileSync(files.certFile, second.cert);
    await log.waitFor((line) => line.msg === 'serving reloaded certificate');
    expect(await handshake(listener.port, second.cert)).toBe(fingerprint(second));
    expect(listener.fingerprint()).toBe(fingerprint(second));
    expect(await metricValue(metrics, 'kclguard_tls_certificate_files_usable')).toBe(1);
    expect(await metricValue(metrics, 'kclguard_tls_certificate_reloads_total', { result: 'reloaded' })).toBe(1);
    expect(await metricValue(metrics, 'kclguard_tls_certificate_expiration_timestamp_seconds')).toBe(
      Math.floor(Date.parse(new X509Certificate(second.cert).validTo) / 1000),
    );
    expect(deaths.count()).toBe(0);
  });

  it('fails no handshake while cert and key are rewritten in place, non-atomically, under load', async () => {
    const deaths = trackDeaths();
    cleanups.push(() => deaths.dispose());
    const files = certificateFiles(first);
    // Reload attempts as often as possible, so that they meet every half-written state.
    const { listener, log } = await listen(files, { reloadDebounceMs: 1, reloadPollMs: 2, reloadSettleMs: 5 });
    const seen = new Set<string>();
    const expected = new Set([fingerprint(first), fingerprint(second)]);

    /** Truncates, then writes the text in pieces with event-loop turns between them. */
    const rewrite = async (path: string, text: string): Promise<void> => {
      const handle = await open(path, 'w');
      try {
        const pieces = 4;
        const size = Math.ceil(text.length / pieces);
        for (let i = 0; i < pieces; i++) {
          await handle.write(text.slice(i * size, (i + 1) * size));
          await yieldTurns(3);
        }
      } finally {
        await handle.close();
      }
    };
    const reloadsSoFar = (): number => log.lines.filter((line) => line.msg === 'serving reloaded certificate').length;
    const load = startLoad(4, async () => {
      const served = await handshake(listener.port, [first.cert, second.cert]);
      seen.add(served);
      return expected.has(served) ? ['ok', served] : ['wrong', served];
    });
    cleanups.push(() => load.stop());
    for (let round = 1; round <= 12; round++) {
      const pair = round % 2 === 1 ? second : first;
      await rewrite(files.certFile, pair.cert);
      await rewrite(files.keyFile, pair.key);
      // Wait until this pair is served before the next round: each round is a real rotation.
      await log.waitFor((line) => line.msg === 'serving reloaded certificate' && line.fingerprint === fingerprint(pair) && reloadsSoFar() >= round);
      await load.callsAfter(4);
    }
    const tally = await load.stop();
    expect(tally.samples).toEqual([]);
    expect({ wrong: tally.wrong, reset: tally.reset, error: tally.error }).toEqual({ wrong: 0, reset: 0, error: 0 });
    expect(tally.ok).toBeGreaterThan(0);
    expect(reloadsSoFar()).toBe(12);
    expect(seen).toEqual(expected);
    // The rewrites were met half done: the files were seen unusable along the way.
    expect(log.lines.some((line) => line.msg.startsWith('certificate files not usable yet'))).toBe(true);
    expect(deaths.count()).toBe(0);
  });
});
