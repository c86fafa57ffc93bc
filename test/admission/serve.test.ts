import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServe, type RunningServer, type ServeConfig } from '../../src/cli/serve.js';
import { InProcessExecutor } from '../../src/engine/index.js';
import { FakeCompiler } from '../../src/engine/testing/fake-compiler.js';
import { rejectedCode } from '../support/error-codes.js';
import { decodePatch, fixture } from './helpers.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** serve's log: silent, but tests can wait for an event in it (`policies loaded`...). */
let logWatchers: Array<{ readonly accept: (entry: Record<string, unknown>) => boolean; readonly resolve: () => void }> = [];
const logger = pino({ level: 'info' }, {
  write(line: string) {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const ready = logWatchers.filter((w) => w.accept(entry));
    logWatchers = logWatchers.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  },
});

/** Resolves at the next log entry `accept` takes; ask before causing it. */
function nextLog(accept: (entry: Record<string, unknown>) => boolean): Promise<void> {
  return new Promise((resolve) => logWatchers.push({ accept, resolve }));
}

function policyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-serve-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function kclRunYaml(name: string, namespace: string, source: object, mode = 'Auto'): string {
  return [
    'apiVersion: krm.kcl.dev/v1alpha1',
    'kind: KCLRun',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    'spec:',
    `  mode: ${mode}`,
    `  source: '${JSON.stringify(source)}'`,
    '',
  ].join('\n');
}

async function serve(dir: string, overrides: Partial<ServeConfig> = {}): Promise<RunningServer> {
  const lines: string[] = [];
  const server = await startServe(
    {
      policies: dir,
      host: '127.0.0.1',
      port: 0,
      namespace: 'kclguard',
      logLevel: 'silent',
      shutdownGraceSeconds: 2,
      certReloadPollSeconds: 0,
      ...overrides,
    },
    { executor: new InProcessExecutor({ compiler: new FakeCompiler() }), logger, print: (line) => lines.push(line), saveGeneratedCertificate: false },
  );
  cleanups.push(() => server.stop());
  expect(lines[0]).toContain(server.url);
  return server;
}

function call(server: RunningServer, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${server.url}${path}`,
      { method, ca: server.selfSignedCert, agent: false, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('kclguard serve: the policy worker pool', () => {
  const MIB = 1024 * 1024;

  async function serveWithPool(overrides: Partial<ServeConfig>, memoryBytes: number): Promise<string[]> {
    const lines: string[] = [];
    const server = await startServe(
      { policies: policyDir(), host: '127.0.0.1', port: 0, namespace: 'kclguard', logLevel: 'silent', shutdownGraceSeconds: 2, certReloadPollSeconds: 0, ...overrides },
      { logger, print: (line) => lines.push(line), saveGeneratedCertificate: false, containerLimits: () => ({ memoryBytes }) },
    );
    cleanups.push(() => server.stop());
    return lines;
  }

  it('is sized to the container: no more workers than its memory limit holds (at least 2, with a warning)', async () => {
    const warned = nextLog((entry) => entry.level === 40 && String(entry.msg).includes("more than the container's memory limit of 256 MiB"));
    const lines = await serveWithPool({}, 256 * MIB);
    await warned;
    expect(lines).toContainEqual(expect.stringMatching(/^policies run in 2 worker threads \(the fewest kclguard runs by default, although the container's memory limit of 256 MiB fits fewer/));
  });

  it('takes --workers as given, and warns when they would not fit the memory limit', async () => {
    const warned = nextLog((entry) => entry.level === 40 && entry.workers === 3 && String(entry.msg).includes('3 policy workers at 128 MiB of heap each may need about 652 MiB'));
    const lines = await serveWithPool({ workers: 3, workerHeapMb: 128 }, 512 * MIB);
    await warned;
    expect(lines).toContainEqual(expect.stringMatching(/^policies run in 3 worker threads \(from --workers; heap limit 128 MiB each/));
  });
});

describe('kclguard serve (local mode)', () => {
  it('serves policies from a directory over HTTPS with a self-signed certificate', async () => {
    const dir = policyDir();
    writeFileSync(join(dir, 'owner.yaml'), kclRunYaml('stamp-owner', 'team-a', { annotate: { owner: 'platform' } }));
    const server = await serve(dir);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(server, 'GET', '/healthz')).status).toBe(200);
    expect((await call(server, 'GET', '/readyz')).status).toBe(200);

    const body = fixture('pod-create');
    const answer = JSON.parse((await call(server, 'POST', '/mutate?timeout=10s', JSON.stringify(body))).text);
    expect(answer.response.uid).toBe(body.request.uid);
    expect(answer.response.patchType).toBe('JSONPatch');
    expect(decodePatch(answer.response.patch)).toEqual([{ op: 'add', path: '/metadata/annotations/owner', value: 'platform' }]);

    const metrics = (await call(server, 'GET', '/metrics')).text;
    expect(metrics).toContain('kclguard_admission_requests_total{webhook="mutate",operation="CREATE",decision="patched"} 1');
    expect(metrics).toContain('kclguard_policy_evaluations_total{policy="team-a/stamp-owner",result="mutated"} 1');
    expect(metrics).toMatch(/kclguard_policy_evaluation_duration_seconds_count\{policy="team-a\/stamp-owner"\} 1/);
    expect(metrics).toContain('kclguard_policies{state="ready"} 1');
    expect(metrics).toContain('kclguard_admission_requests_in_flight 0');
    expect(metrics).toMatch(/kclguard_admission_duration_seconds_bucket\{le="0.0005",webhook="mutate"\}/);
    expect(metrics).toContain('kclguard_process_cpu_seconds_total');
  });

  it('denies a violation, counts failure actions, and picks up new policies without a restart', async () => {
    const dir = policyDir();
    writeFileSync(join(dir, 'deny.yaml'), kclRunYaml('no-pods', 'team-a', { assert: 'pods are not allowed here' }, 'Validate'));
    const server = await serve(dir);
    const body = fixture('pod-create');
    const denied = JSON.parse((await call(server, 'POST', '/validate', JSON.stringify(body))).text);
    expect(denied.response).toMatchObject({ uid: body.request.uid, allowed: false, status: { code: 403 } });
    expect(denied.response.status.message).toContain('pods are not allowed here');

    writeFileSync(join(dir, 'broken.yaml'), kclRunYaml('broken', 'team-a', { error: 'E3M38' }, 'Validate'));
    const snapshot = await server.reloadPolicies();
    expect(snapshot.policies.map((p) => p.identity.key)).toEqual(['team-a/broken', 'team-a/no-pods']);
    const failed = JSON.parse((await call(server, 'POST', '/validate', JSON.stringify(body))).text);
    expect(failed.response).toMatchObject({ allowed: false, status: { code: 500 } });
    const metrics = (await call(server, 'GET', '/metrics')).text;
    expect(metrics).toContain('kclguard_policy_failure_actions_total{policy="team-a/broken",action="abort"} 1');
    expect(metrics).toContain('kclguard_policy_evaluations_total{policy="team-a/broken",result="failed"} 1');
    expect(metrics).toContain('kclguard_policies{state="ready"} 2');
  });

  it('hot-reloads the policy directory when a file appears, without a restart', async () => {
    const dir = policyDir();
    const server = await serve(dir);
    const body = JSON.stringify(fixture('pod-create'));
    const before = JSON.parse((await call(server, 'POST', '/mutate', body)).text);
    expect(before.response).not.toHaveProperty('patch');
    const loaded = nextLog((entry) => entry.msg === 'policies loaded' && entry.ready === 1);
    writeFileSync(join(dir, 'late.yaml'), kclRunYaml('late', 'team-a', { annotate: { late: 'yes' } }));
    await loaded;
    const answer = JSON.parse((await call(server, 'POST', '/mutate', body)).text);
    expect(decodePatch(answer.response.patch)).toEqual([{ op: 'add', path: '/metadata/annotations/late', value: 'yes' }]);
  });

  it('reports a policy that does not compile without failing the others', async () => {
    const dir = policyDir();
    writeFileSync(join(dir, 'ok.yaml'), kclRunYaml('ok', 'team-a', { annotate: { a: 'b' } }));
    writeFileSync(join(dir, 'bad.yaml'), kclRunYaml('bad', 'team-b', { annotate: {} }).replace(/source: .*/, 'source: "not json"'));
    const server = await serve(dir);
    const metrics = (await call(server, 'GET', '/metrics')).text;
    expect(metrics).toContain('kclguard_policies{state="ready"} 1');
    expect(metrics).toContain('kclguard_policies{state="invalid"} 1');
    const answer = JSON.parse((await call(server, 'POST', '/mutate', JSON.stringify(fixture('pod-create')))).text);
    expect(answer.response.allowed).toBe(true);
  });

  it('stops gracefully and reports not ready while draining', async () => {
    const server = await serve(policyDir());
    expect(await server.stop()).toBe(true);
    expect(await rejectedCode(call(server, 'GET', '/healthz'))).toBe('ECONNREFUSED');
  });

  it('keeps answering reviews, with /readyz failing, for the shutdown delay after a stop request', async () => {
    const server = await serve(policyDir(), { shutdownDelaySeconds: 1 });
    expect((await call(server, 'GET', '/readyz')).status).toBe(200);
    // Only timers are faked: the delay passes when the test says so, requests run as usual.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date', 'hrtime', 'performance'] });
    try {
      let stopped: boolean | undefined;
      const stopping = server.stop().then((result) => (stopped = result));
      const readyz = await call(server, 'GET', '/readyz');
      expect(readyz.status).toBe(503);
      const review = await call(server, 'POST', '/validate', JSON.stringify(fixture('pod-create')));
      expect(review.status).toBe(200);
      expect(JSON.parse(review.text).response.allowed).toBe(true);
      await jest.advanceTimersByTimeAsync(999);
      expect(stopped).toBeUndefined();
      expect((await call(server, 'GET', '/readyz')).status).toBe(503);
      await jest.advanceTimersByTimeAsync(1);
      await stopping;
      expect(stopped).toBe(true);
    } finally {
      jest.useRealTimers();
    }
    expect(await rejectedCode(call(server, 'GET', '/healthz'))).toBe('ECONNREFUSED');
  });
});
