/**
 * Policies that never end, through the whole server with kclguard's real KCL interpreter and its
 * worker pool: each is stopped by its own budget (the code says which one) and answered by its
 * failureAction, and a review that does not select it is answered first, while it still runs.
 * Nothing here measures time: the budgets end the runs, the order of the answers shows that the
 * runaway policy held up nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServe, type RunningServer } from '../../src/cli/serve.js';
import { fixture } from './helpers.js';

const DIGITS = '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]';

function policy(name: string, source: string, timeoutMillis: number): string {
  return [
    'apiVersion: krm.kcl.dev/v1alpha1',
    'kind: KCLRun',
    'metadata:',
    `  name: ${name}`,
    '  namespace: runaway',
    'spec:',
    '  mode: Validate',
    '  failureAction: abort',
    `  timeoutMillis: ${timeoutMillis}`,
    '  selector:',
    '    resourceName: [' + name + ']',
    '  source: |',
    ...source.split('\n').map((line) => `    ${line}`),
    '',
  ].join('\n');
}

const RECURSE = 'f = lambda n: int -> int {\n    f(n + 1)\n}\nx = f(0)';
// 10^8 iterations: far past any budget.
const LOOP = `l = ${DIGITS}\nx = [a + b + c + d + e + f + g + h for a in l for b in l for c in l for d in l for e in l for f in l for g in l for h in l]`;

function review(name: string, namespace: string): string {
  const body = fixture('pod-create');
  body.request.uid = `uid-${name}-${namespace}`;
  body.request.name = name;
  body.request.namespace = namespace;
  body.request.object.metadata.name = name;
  body.request.object.metadata.namespace = namespace;
  return JSON.stringify(body);
}

describe('runaway policies', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kclguard-runaway-'));
    writeFileSync(join(dir, 'recurse.yaml'), policy('recurse', RECURSE, 2000));
    writeFileSync(join(dir, 'loop.yaml'), policy('loop', LOOP, 400));
    server = await startServe(
      { policies: dir, host: '127.0.0.1', port: 0, namespace: 'kclguard', logLevel: 'silent', shutdownGraceSeconds: 2, certReloadPollSeconds: 0 },
      { logger: pino({ level: 'silent' }), print: () => undefined, saveGeneratedCertificate: false },
    );
  });

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function post(body: string): Promise<{ json: any }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${server.url}/validate?timeout=10s`,
        { method: 'POST', ca: server.selfSignedCert, agent: false, headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('loads both policies', async () => {
    const snapshot = await server.reloadPolicies();
    expect(snapshot.counts).toEqual({ ready: 2, invalid: 0 });
  });

  it('stops unbounded recursion at the depth limit (K9002) and denies with 500', async () => {
    const answer = await post(review('recurse', 'runaway'));
    expect(answer.json.response).toMatchObject({ uid: 'uid-recurse-runaway', allowed: false, status: { code: 500 } });
    expect(answer.json.response.status.message).toContain('K9002');
  });

  it('stops an endless loop within its budget while another review is answered first', async () => {
    const answered: string[] = [];
    const loop = post(review('loop', 'runaway')).then((answer) => {
      answered.push('loop');
      return answer;
    });
    const other = post(review('web', 'team-a')).then((answer) => {
      answered.push('web');
      return answer;
    });
    const [loopAnswer, otherAnswer] = await Promise.all([loop, other]);
    expect(answered).toEqual(['web', 'loop']);
    expect(loopAnswer.json.response).toMatchObject({ uid: 'uid-loop-runaway', allowed: false, status: { code: 500 } });
    // Ended by its step budget or its 400 ms clock budget, whichever this machine reached first.
    expect(loopAnswer.json.response.status.message).toMatch(/K9001|K9003/);
    expect(otherAnswer.json.response).toEqual({ uid: 'uid-web-team-a', allowed: true });
    const metrics = await server.metrics.registry.metrics();
    expect(metrics).toContain('kclguard_policy_failure_actions_total{policy="runaway/loop",action="abort"} 1');
  });
});
