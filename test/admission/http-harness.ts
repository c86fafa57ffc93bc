/** Runs the express app on a loopback port for in-process HTTP tests. */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { AdmissionHandler } from '../../src/engine/contract.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import type { Readiness } from '../../src/engine/index.js';
import { createApp } from '../../src/server/app.js';
import { InFlightTracker, type Receiving } from '../../src/server/in-flight.js';
import type { BodyLimits } from '../../src/server/json-body.js';

/**
 * The server's count of reviews in flight (and of bodies being received), with a way to wait
 * until it reaches a state: an event when a count changes, instead of polling it on a timer.
 */
export class WatchedInFlight extends InFlightTracker {
  private watchers: Array<{ readonly test: (tracker: WatchedInFlight) => boolean; readonly resolve: () => void }> = [];

  override start(): () => void {
    const finish = super.start();
    this.changed();
    return () => {
      finish();
      this.changed();
    };
  }

  override startReceiving(): Receiving {
    const receiving = super.startReceiving();
    this.changed();
    return {
      add: (bytes) => {
        receiving.add(bytes);
        this.changed();
      },
      received: () => {
        receiving.received();
        this.changed();
      },
      done: () => {
        receiving.done();
        this.changed();
      },
    };
  }

  /** Reviews being evaluated (what counts against --max-in-flight) reached `size`. */
  reached(size: number): Promise<void> {
    return this.until((tracker) => tracker.size === size);
  }

  until(test: (tracker: WatchedInFlight) => boolean): Promise<void> {
    if (test(this)) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ test, resolve }));
  }

  private changed(): void {
    const ready = this.watchers.filter((w) => w.test(this));
    this.watchers = this.watchers.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}

export interface Harness {
  readonly base: string;
  readonly metrics: Metrics;
  readonly inFlight: WatchedInFlight;
  readonly state: { ready: Readiness; draining: boolean };
  close(): Promise<void>;
}

export async function startHarness(handler: AdmissionHandler, options: { maxInFlight?: number; logger?: Logger; limits?: BodyLimits } = {}): Promise<Harness> {
  const metrics = createMetrics(new Registry(), { processMetrics: false });
  const inFlight = new WatchedInFlight();
  const state = { ready: { ready: true } as Readiness, draining: false };
  const app = createApp({
    handler,
    metrics,
    logger: options.logger ?? pino({ level: 'silent' }),
    readiness: () => state.ready,
    isDraining: () => state.draining,
    inFlight,
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = createServer(app).listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    metrics,
    inFlight,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function postJson(base: string, path: string, body: string, contentType = 'application/json'): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json, headers: response.headers };
}

/** Streams `totalBytes` of body with chunked encoding (no content-length), like a hostile client. */
export function postChunked(base: string, path: string, totalBytes: number): Promise<{ status: number; json: any }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    req.write('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","pad":"');
    pump();
  });
}
