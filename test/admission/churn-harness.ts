/**
 * Tools for fault tests: a load of concurrent reviews or TLS handshakes against the real HTTPS
 * listener on 127.0.0.1 while a fault happens, counting wrong answers, resets and process
 * "deaths" (an unhandled rejection or uncaught exception would end a real process). Everything
 * is event-driven: a load runs until the test says stop, never for a measured time.
 */
import { Agent, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { pino, type Logger } from 'pino';

/** Counts what would have killed a real process while it is installed. */
export function trackDeaths(): { readonly count: () => number; readonly errors: unknown[]; dispose(): void } {
  const errors: unknown[] = [];
  const onError = (error: unknown): void => {
    errors.push(error);
  };
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  return {
    errors,
    count: () => errors.length,
    dispose() {
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
    },
  };
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A pino logger whose lines a test can wait for. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: LogLine[]; waitFor(match: (line: LogLine) => boolean): Promise<LogLine> } {
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  const logger = pino(
    { level },
    {
      write(text: string) {
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        for (const waiter of waiters.splice(0)) {
          if (waiter.match(line)) waiter.resolve(line);
          else waiters.push(waiter);
        }
      },
    },
  );
  return {
    logger,
    lines,
    waitFor(match) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/** The outcome of one call made under load. */
export type Outcome = 'ok' | 'wrong' | 'reset' | 'error';

export interface LoadTally {
  ok: number;
  wrong: number;
  reset: number;
  error: number;
  /** What each wrong answer or failure was, for the assertion message. */
  readonly samples: string[];
}

function classifyError(error: unknown): Outcome {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/.test(String(error)) ? 'reset' : 'error';
}

export interface Load {
  /** Stops the loops, waits for the calls in flight, and returns the tally (idempotent). */
  stop(): Promise<LoadTally>;
  /** Resolves once `n` more calls have finished. */
  callsAfter(n: number): Promise<void>;
}

/**
 * Runs `workers` loops of `call` until stopped. Each call resolves to an outcome and a
 * description (kept for non-ok outcomes). Register `stop` as a cleanup so that a failed test
 * never leaves loops running.
 */
export function startLoad(workers: number, call: () => Promise<[Outcome, string]>): Load {
  const tally: LoadTally = { ok: 0, wrong: 0, reset: 0, error: 0, samples: [] };
  let stopped = false;
  let finished = 0;
  const waiting: { at: number; resolve: () => void }[] = [];
  const loop = async (): Promise<void> => {
    while (!stopped) {
      let outcome: Outcome;
      let detail: string;
      try {
        [outcome, detail] = await call();
      } catch (error) {
        outcome = classifyError(error);
        detail = `${(error as NodeJS.ErrnoException).code ?? ''} ${String(error)}`;
      }
      tally[outcome] += 1;
      if (outcome !== 'ok' && tally.samples.length < 10) tally.samples.push(`${outcome}: ${detail}`);
      finished += 1;
      for (const waiter of waiting.filter((w) => finished >= w.at)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const loops = Promise.all(Array.from({ length: workers }, loop));
  return {
    async stop() {
      stopped = true;
      await loops;
      return tally;
    },
    callsAfter(n) {
      return new Promise((resolve) => waiting.push({ at: finished + n, resolve }));
    },
  };
}

/** A fresh TLS connection: the fingerprint of the certificate served (GET /healthz must be 200). */
export function handshake(port: number, ca: string | string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(fingerprint) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface ReviewAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/** POSTs an AdmissionReview over `agent` (keep-alive by default in a load). */
export function postReview(url: string, path: string, body: string, ca: string, agent: Agent | false): Promise<ReviewAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${url}${path}`,
      { method: 'POST', ca, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) });
          } catch {
            reject(new Error(`HTTP ${res.statusCode}: not JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves after `turns` trips through the event loop (a pause that is not a wall-clock wait). */
export async function yieldTurns(turns = 1): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
