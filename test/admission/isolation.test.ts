/**
 * Issue 9's attacks through the whole server — the real HTTPS listener, the worker pool and the
 * real KCL interpreter: each hostile policy or object is answered with the right code while the
 * server keeps answering /healthz and other namespaces' reviews, and nothing dies. Assertions are
 * about answers and their order (the health check and the light review are answered before the
 * attack), never about elapsed time: `npm run bench:isolation` measures that.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServe, type RunningServer } from '../../src/cli/serve.js';
import { WorkerPool } from '../../src/engine/index.js';
import { fixture } from './helpers.js';

const BILLION_LAUGHS = readFileSync(new URL('../support/billion-laughs.yaml', import.meta.url), 'utf8');

function policy(name: string, source: string, extra: string[] = []): string {
  return [
    'apiVersion: krm.kcl.dev/v1alpha1',
    'kind: KCLRun',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${name}`,
    'spec:',
    '  mode: Validate',
    '  failureAction: abort',
    ...extra.map((line) => `  ${line}`),
    '  source: |',
    ...source.split('\n').map((line) => `    ${line}`),
    '',
  ].join('\n');
}

const ATTACKS: Record<string, { source: string; extra?: string[]; object: (ns: string) => Record<string, unknown> }> = {
  // A ConfigMap whose author, not the policy's, supplies a YAML alias bomb.
  bomb: {
    source: 'import yaml\nconfig = yaml.decode(option("items")[0].data["config.yaml"])',
    object: (ns) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: ns }, data: { 'config.yaml': BILLION_LAUGHS } }),
  },
  // Catastrophic backtracking for a backtracking engine; linear here, so it simply answers.
  redos: {
    source: 'import regex\nassert regex.match(option("items")[0].metadata.labels.version, r"^([a-z0-9]+-?)+$"), "bad version label"',
    extra: ['timeoutMillis: 100'],
    object: (ns) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: ns, labels: { version: `${'a'.repeat(10_000)}!` } } }),
  },
  loop: {
    source: '_l = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\nx = [a + b + c + d + e + f + g + h for a in _l for b in _l for c in _l for d in _l for e in _l for f in _l for g in _l for h in _l]',
    extra: ['timeoutMillis: 300'],
    object: (ns) => pod(ns),
  },
  memory: {
    source: '_s = "x" * 1000000\nx = [_s + "${i}" for i in range(1000)]',
    object: (ns) => pod(ns),
  },
  output: {
    source: '_big = "x" * 1000000\nitems = [item | {metadata.annotations = {"a${i}": _big for i in range(400)}} for item in option("items")]',
    object: (ns) => pod(ns),
  },
  encode: {
    source: 'import json\n_l = [{"k": "v" * 1000} for _ in range(1000)]\nx = json.encode([_l for _ in range(100)])',
    object: (ns) => pod(ns),
  },
};

function pod(namespace: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace, labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
}

function review(namespace: string, object: Record<string, unknown>): string {
  const body = fixture('pod-create');
  body.request.uid = `uid-${namespace}`;
  body.request.namespace = namespace;
  body.request.name = (object.metadata as { name: string }).name;
  body.request.kind = { group: '', version: 'v1', kind: object.kind };
  body.request.resource = { group: '', version: 'v1', resource: `${String(object.kind).toLowerCase()}s` };
  body.request.object = object;
  return JSON.stringify(body);
}

describe('isolation: hostile policies and objects through the whole server', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kclguard-isolation-'));
    for (const [name, attack] of Object.entries(ATTACKS)) writeFileSync(join(dir, `${name}.yaml`), policy(name, attack.source, attack.extra));
    writeFileSync(join(dir, 'light.yaml'), policy('light', 'assert "app" in (option("items")[0].metadata.labels or {}), "label app is required"'));
    server = await startServe(
      { policies: dir, host: '127.0.0.1', port: 0, namespace: 'kclguard', logLevel: 'silent', shutdownGraceSeconds: 2, certReloadPollSeconds: 0, workers: 2 },
      { logger: pino({ level: 'silent' }), print: () => undefined, saveGeneratedCertificate: false },
    );
  });

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function call(method: string, path: string, body?: string): Promise<any> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${server.url}${path}`, { method, ca: server.selfSignedCert, agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(body ? JSON.parse(text).response : { status: res.statusCode, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Sends the attack, then a health check and a light review while it runs; records answer order. */
  async function attack(name: string): Promise<{ response: any; order: string[] }> {
    const order: string[] = [];
    const attacked = call('POST', '/validate?timeout=10s', review(name, ATTACKS[name]!.object(name))).then((r) => (order.push('attack'), r));
    const health = call('GET', '/healthz').then((r) => (order.push('healthz'), r));
    const light = call('POST', '/validate?timeout=10s', review('light', pod('light'))).then((r) => (order.push('light'), r));
    const [response, healthAnswer, lightAnswer] = await Promise.all([attacked, health, light]);
    expect(healthAnswer.status).toBe(200);
    expect(lightAnswer).toEqual({ uid: 'uid-light', allowed: true });
    return { response, order };
  }

  const failedWith = (response: any) => /\b(K9\d{3}|E\d[A-Z]\d{2})\b/.exec(response.status?.message ?? '')?.[1];

  it('a YAML alias bomb in an object fails its policy (the reference alias limit, E3M38) without taking the process down', async () => {
    const { response, order } = await attack('bomb');
    expect(response).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(failedWith(response)).toBe('E3M38');
    expect(order.indexOf('healthz')).toBeLessThan(order.indexOf('attack'));
  });

  it('a ReDoS pattern on a hostile label answers correctly (linear-time regex)', async () => {
    const { response } = await attack('redos');
    expect(response).toMatchObject({ allowed: false, status: { code: 403, message: 'bad version label' } });
  });

  it('a loop is stopped at its budget (K9001/K9003) while others are answered first', async () => {
    const { response, order } = await attack('loop');
    expect(['K9001', 'K9003']).toContain(failedWith(response));
    expect(order.indexOf('light')).toBeLessThan(order.indexOf('attack'));
    expect(order.indexOf('healthz')).toBeLessThan(order.indexOf('attack'));
  });

  it('a memory bomb fails with K9004', async () => {
    expect(failedWith((await attack('memory')).response)).toBe('K9004');
  });

  it('a huge output fails with K9004 before it becomes a response', async () => {
    expect(failedWith((await attack('output')).response)).toBe('K9004');
  });

  it('json.encode of a huge value stops at the byte limit (K9004)', async () => {
    expect(failedWith((await attack('encode')).response)).toBe('K9004');
  });

  it('counts no worker deaths for attacks the interpreter bounds itself, and the process is whole', async () => {
    const metrics = await server.metrics.registry.metrics();
    expect(metrics).toMatch(/kclguard_policy_workers\{state="idle"\} 2|kclguard_policy_workers\{state="busy"\} [12]/);
    expect((await call('GET', '/readyz')).status).toBe(200);
  });
});

describe('isolation: a policy stuck where the interpreter cannot stop it', () => {
  // A program that never yields (a builtin stuck in native code), from the pool's test compiler.
  const TEST_COMPILER = new URL('../support/pool-test-compiler.mjs', import.meta.url).href;
  let dir: string;
  let server: RunningServer;
  const stops: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kclguard-isolation-spin-'));
    const doc = (name: string, script: object) =>
      [`apiVersion: krm.kcl.dev/v1alpha1`, 'kind: KCLRun', `metadata: {name: ${name}, namespace: ${name}}`, 'spec:', '  mode: Validate', '  timeoutMillis: 200', `  source: '${JSON.stringify(script)}'`, ''].join('\n');
    writeFileSync(join(dir, 'spin.yaml'), doc('spin', { spin: true }));
    writeFileSync(join(dir, 'light.yaml'), doc('light', {}));
    const executor = new WorkerPool({ size: 2, compilerModule: TEST_COMPILER, observer: { onWorkerStopped: (cause) => stops.push(cause) } });
    server = await startServe(
      { policies: dir, host: '127.0.0.1', port: 0, namespace: 'kclguard', logLevel: 'silent', shutdownGraceSeconds: 2, certReloadPollSeconds: 0 },
      { executor, logger: pino({ level: 'silent' }), print: () => undefined, saveGeneratedCertificate: false },
    );
  });

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function call(method: string, path: string, body?: string): Promise<any> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${server.url}${path}`, { method, ca: server.selfSignedCert, agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(body ? JSON.parse(text).response : { status: res.statusCode, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('stops it for real (worker replaced, K9003) while /healthz and other reviews are answered first', async () => {
    const order: string[] = [];
    const stuck = call('POST', '/validate?timeout=10s', review('spin', pod('spin'))).then((r) => (order.push('stuck'), r));
    const health = call('GET', '/healthz').then((r) => (order.push('healthz'), r));
    const light = call('POST', '/validate?timeout=10s', review('light', pod('light'))).then((r) => (order.push('light'), r));
    const [answer, healthAnswer, lightAnswer] = await Promise.all([stuck, health, light]);
    expect(answer).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(answer.status.message).toContain('K9003');
    expect(answer.status.message).toContain('hard deadline');
    expect(healthAnswer.status).toBe(200);
    expect(lightAnswer).toMatchObject({ allowed: true });
    expect(order.indexOf('healthz')).toBeLessThan(order.indexOf('stuck'));
    expect(order.indexOf('light')).toBeLessThan(order.indexOf('stuck'));
    expect(stops).toEqual(['deadline']);
  });
});
