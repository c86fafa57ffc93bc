import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServe, type RunningServer, type ServeConfig } from '../../src/cli/serve.js';
import { InProcessExecutor } from '../../src/engine/index.js';
import { FakeCompiler } from '../../src/engine/testing/fake-compiler.js';
import { decodePatch, fixture } from './helpers.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

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
    { executor: new InProcessExecutor({ compiler: new FakeCompiler() }), logger: pino({ level: 'silent' }), print: (line) => lines.push(line), saveGeneratedCertificate: false },
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
    writeFileSync(join(dir, 'late.yaml'), kclRunYaml('late', 'team-a', { annotate: { late: 'yes' } }));
    const until = Date.now() + 5000;
    let patch: unknown;
    while (patch === undefined && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      const answer = JSON.parse((await call(server, 'POST', '/mutate', body)).text);
      if (answer.response.patch) patch = decodePatch(answer.response.patch);
    }
    expect(patch).toEqual([{ op: 'add', path: '/metadata/annotations/late', value: 'yes' }]);
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
    await expect(call(server, 'GET', '/healthz')).rejects.toThrow();
  });

  it('keeps answering reviews, with /readyz failing, for the shutdown delay after a stop request', async () => {
    const server = await serve(policyDir(), { shutdownDelaySeconds: 1 });
    expect((await call(server, 'GET', '/readyz')).status).toBe(200);
    const started = Date.now();
    const stopped = server.stop();
    const readyz = await call(server, 'GET', '/readyz');
    expect(readyz.status).toBe(503);
    const review = await call(server, 'POST', '/validate', JSON.stringify(fixture('pod-create')));
    expect(review.status).toBe(200);
    expect(JSON.parse(review.text).response.allowed).toBe(true);
    expect(await stopped).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await expect(call(server, 'GET', '/healthz')).rejects.toThrow();
  });
});
