/**
 * Issue 11 item 6: shutdown never resets a request that reached the server. Requests sent just
 * after the stop request on idle keep-alive connections (the API server's pooled connections)
 * are answered, with `Connection: close`, for the shutdown delay; the default delay is safe
 * without the chart's preStop.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_SHUTDOWN_DELAY_SECONDS } from '../../src/cli/serve-config.js';
import { serveConfig, startServe, type RunningServer } from '../../src/cli/serve.js';
import { InProcessExecutor } from '../../src/engine/index.js';
import { FakeCompiler } from '../../src/engine/testing/fake-compiler.js';
import { postReview, trackDeaths, yieldTurns, type ReviewAnswer } from './churn-harness.js';
import { fixtureText } from './helpers.js';

// Loads and rotations take seconds; a busy machine must not fail them on jest's 5 s default.
jest.setTimeout(60_000);

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(shutdownDelaySeconds: number): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-shutdown-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServe(
    { policies: dir, host: '127.0.0.1', port: 0, namespace: 'kclguard', logLevel: 'silent', shutdownGraceSeconds: 5, shutdownDelaySeconds, certReloadPollSeconds: 0 },
    { executor: new InProcessExecutor({ compiler: new FakeCompiler() }), logger: pino({ level: 'silent' }), print: () => undefined, saveGeneratedCertificate: false },
  );
  cleanups.push(() => server.stop());
  return server;
}

type Outcome = { answer: ReviewAnswer } | { error: string };

async function settle(calls: Promise<ReviewAnswer>[]): Promise<Outcome[]> {
  return Promise.all(calls.map((call) => call.then((answer) => ({ answer }), (error: NodeJS.ErrnoException) => ({ error: error.code ?? String(error) }))));
}

describe('shutdown', () => {
  it('answers requests sent on idle keep-alive connections just after the stop request, and closes those connections', async () => {
    const deaths = trackDeaths();
    cleanups.push(() => deaths.dispose());
    const server = await serve(1);
    const connections = 8;
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    cleanups.push(() => agent.destroy());
    const body = fixtureText('pod-create');
    const send = (): Promise<ReviewAnswer> => postReview(server.url, '/validate', body, server.selfSignedCert!, agent);

    const warm = await settle(Array.from({ length: connections }, send));
    expect(warm.every((o) => 'answer' in o && o.answer.status === 200)).toBe(true);
    const idle = Object.values(agent.freeSockets).flat().length;
    expect(idle).toBe(connections);

    const stopped = server.stop();
    // The API server's next requests go out a moment later on its pooled, idle connections.
    await yieldTurns(5);
    const outcomes = await settle(Array.from({ length: connections }, send));
    const failures = outcomes.filter((o) => !('answer' in o) || o.answer.status !== 200 || o.answer.json.response?.allowed !== true);
    expect(failures).toEqual([]);
    // Each answer asks the client to reconnect elsewhere.
    expect(outcomes.map((o) => ('answer' in o ? o.answer.headers.connection : undefined))).toEqual(Array(connections).fill('close'));
    expect(await stopped).toBe(true);
    expect(deaths.count()).toBe(0);
  });

  it('defaults to a delay that covers endpoint propagation without a preStop hook', () => {
    const config = serveConfig(['--policies', tmpdir()], {});
    if (config === 'help') throw new Error('unexpected help');
    expect(DEFAULT_SHUTDOWN_DELAY_SECONDS).toBeGreaterThanOrEqual(10);
    expect(config.shutdownDelaySeconds).toBe(DEFAULT_SHUTDOWN_DELAY_SECONDS);
  });
});
