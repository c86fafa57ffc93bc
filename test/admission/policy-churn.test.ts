/**
 * Issue 11 items 2, 3 and 8 in local mode, through the real HTTPS listener: a load of reviews
 * while policy files are truncated, mistyped, or their directory deleted and re-created. Every
 * review here must be denied by a policy that is never validly removed: an allowed answer is a
 * policy failing open.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startServe, type RunningServer } from '../../src/cli/serve.js';
import type { Authorizer } from '../../src/engine/authorizer.js';
import { createLocalEngine } from '../../src/engine/local-engine.js';
import { InProcessExecutor, type PolicyExecutor } from '../../src/engine/index.js';
import { FakeCompiler } from '../../src/engine/testing/fake-compiler.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createApp } from '../../src/server/app.js';
import { startHttpsListener } from '../../src/server/https-listener.js';
import { InFlightTracker } from '../../src/server/in-flight.js';
import { generateSelfSigned } from '../../src/server/self-signed.js';
import { capturingLogger, postReview, startLoad, trackDeaths, type Load, type LogLine, type Outcome } from './churn-harness.js';
import { fixtureText } from './helpers.js';

// Each test runs a load for a few rounds of file churn: seconds, but more than jest's default.
jest.setTimeout(60_000);

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function denyPods(name: string, failureAction = 'abort'): string {
  return [
    'apiVersion: krm.kcl.dev/v1alpha1',
    'kind: KCLRun',
    'metadata:',
    `  name: ${name}`,
    '  namespace: team-a',
    'spec:',
    '  mode: Validate',
    `  failureAction: ${failureAction}`,
    `  source: '{"assert": "no pods in team-a (${name})"}'`,
    '',
  ].join('\n');
}

async function serveDir(dir: string): Promise<{ server: RunningServer; log: ReturnType<typeof capturingLogger>; agent: Agent }> {
  const log = capturingLogger();
  const server = await startServe(
    { policies: dir, host: '127.0.0.1', port: 0, namespace: 'kclguard', logLevel: 'debug', shutdownGraceSeconds: 2, certReloadPollSeconds: 0 },
    { executor: new InProcessExecutor({ compiler: new FakeCompiler() }), logger: log.logger, print: () => undefined, saveGeneratedCertificate: false },
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  cleanups.push(() => server.stop());
  cleanups.push(() => agent.destroy());
  return { server, log, agent };
}

function tempPolicyDir(): { parent: string; dir: string } {
  const parent = mkdtempSync(join(tmpdir(), 'kclguard-churn-'));
  cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'policies');
  mkdirSync(dir);
  return { parent, dir };
}

/** Reviews in a loop; each must be denied by one of `policies` (read when the review starts). */
function deniedLoad(server: RunningServer, agent: Agent, policies: () => readonly string[]): Load {
  const body = fixtureText('pod-create');
  const load = startLoad(4, async (): Promise<[Outcome, string]> => {
    const expected = policies();
    const answer = await postReview(server.url, '/validate', body, server.selfSignedCert!, agent);
    const response = answer.json.response;
    const ok = answer.status === 200 && response?.allowed === false && response.status?.code === 403 && expected.some((p) => response.status.message.includes(`(${p})`));
    return [ok ? 'ok' : 'wrong', JSON.stringify(response?.status ?? answer.json)];
  });
  cleanups.push(() => load.stop());
  return load;
}

const fileProblem = (file: string, what: RegExp) => (line: LogLine) => line.level === 40 && line.origin === file && what.test(line.msg);

/** A server on a directory holding one policy that denies every Pod review, under a load of them. */
async function deniedUnderLoad(expected: () => readonly string[]) {
  const deaths = trackDeaths();
  cleanups.push(() => deaths.dispose());
  const { dir } = tempPolicyDir();
  const file = join(dir, 'deny.yaml');
  writeFileSync(file, denyPods('no-pods'));
  const { server, log, agent } = await serveDir(dir);
  const load = deniedLoad(server, agent, expected);
  /** Stops the load: no wrong answer, reset, error or death. */
  const expectAllRight = async (): Promise<void> => {
    const tally = await load.stop();
    expect(tally.samples).toEqual([]);
    expect(tally.wrong + tally.reset + tally.error).toBe(0);
    expect(deaths.count()).toBe(0);
  };
  return { dir, file, server, log, agent, load, expectAllRight };
}

describe('policy files under churn (local mode)', () => {
  it('keeps denying while the policy file is truncated and rewritten, and marks the policy stale meanwhile', async () => {
    const { file, server, log, load, expectAllRight } = await deniedUnderLoad(() => ['no-pods']);
    for (let round = 0; round < 3; round++) {
      await load.callsAfter(20);
      log.lines.length = 0;
      writeFileSync(file, '');
      await log.waitFor(fileProblem(file, /the file is empty/));
      const metrics = await fetchMetrics(server);
      expect(metrics).toContain('kclguard_policy_stale{policy="team-a/no-pods"} 1');
      await load.callsAfter(20);
      writeFileSync(file, denyPods('no-pods'));
      await log.waitFor((line) => line.msg === 'valid policy revision accepted; no longer stale');
    }
    await load.callsAfter(20);
    await expectAllRight();
    expect(await fetchMetrics(server)).toContain('kclguard_policy_stale{policy="team-a/no-pods"} 0');
  });

  it('keeps denying while a revision with a schema typo is in the file', async () => {
    const { file, log, load, expectAllRight } = await deniedUnderLoad(() => ['no-pods']);
    await load.callsAfter(20);
    writeFileSync(file, denyPods('no-pods', 'abrot'));
    await log.waitFor((line) => line.msg.startsWith('policy revision rejected'));
    await load.callsAfter(40);
    writeFileSync(file, denyPods('no-pods'));
    await log.waitFor((line) => line.msg === 'valid policy revision accepted; no longer stale');
    await load.callsAfter(20);
    await expectAllRight();
  });

  it('keeps enforcing while the directory is deleted and re-created, then follows the new content and a file removal', async () => {
    let expected: string[] = ['no-pods'];
    const { dir, server, log, agent, load, expectAllRight } = await deniedUnderLoad(() => expected);
    await load.callsAfter(20);

    rmSync(dir, { recursive: true });
    await log.waitFor((line) => line.level === 50 && String(line.msg).startsWith('cannot read policy directory'));
    await load.callsAfter(20);
    // Re-created (as kubectl cp or rsync do) with a renamed policy: either may answer until the
    // old one's removal has settled.
    expected = ['no-pods', 'no-pods-v2'];
    mkdirSync(dir);
    writeFileSync(join(dir, 'deny-v2.yaml'), denyPods('no-pods-v2'));
    await log.waitFor((line) => line.msg === 'policy file removed; what it defined is deleted');
    expected = ['no-pods-v2'];
    await load.callsAfter(20);
    await expectAllRight();

    // The emergency step works again: removing the policy's file turns it off.
    rmSync(join(dir, 'deny-v2.yaml'));
    await log.waitFor((line) => line.msg === 'policy file removed; what it defined is deleted' && line.file === join(dir, 'deny-v2.yaml'));
    const answer = await postReview(server.url, '/validate', fixtureText('pod-create'), server.selfSignedCert!, agent);
    expect(answer.json.response.allowed).toBe(true);
  });
});

describe('a reload (local mode)', () => {
  it('swaps Namespaces and policies as one snapshot: a review never sees the policies of one reload with the Namespaces of another', async () => {
    const { dir } = tempPolicyDir();
    const file = join(dir, 'policies.yaml');
    // Either revision alone allows the Pod: the cluster policy denies in Namespaces labelled
    // `env: <selected>`, and team-a never carries that label in the same revision. Only the
    // policies of one revision with the Namespaces of the other deny.
    const revision = (selected: string, teamA: string): string =>
      [
        'apiVersion: krm.kcl.dev/v1alpha1',
        'kind: KCLRun',
        'metadata: {name: stamp, namespace: team-a}',
        `spec: {source: '{"annotate": {"stamped": "yes"}}'}`,
        '---',
        'apiVersion: krm.kcl.dev/v1alpha1',
        'kind: ClusterKCLRun',
        'metadata: {name: deny-selected}',
        'spec:',
        `  selector: {namespaceSelector: {matchLabels: {env: ${selected}}}}`,
        `  source: '{"assert": "denied in env ${selected}"}'`,
        '---',
        'apiVersion: v1',
        'kind: Namespace',
        `metadata: {name: team-a, labels: {env: ${teamA}}}`,
        '',
      ].join('\n');
    writeFileSync(file, revision('prod', 'dev'));
    // Reviews and reloads overlap: the ServiceAccount check of the KCLRun's mutation answers a
    // moment later, as a SubjectAccessReview would, and a new generation takes a moment to be
    // prepared, as in the worker pool (2 ms each).
    const slowAllow: Authorizer = () => new Promise((resolve) => setTimeout(() => resolve(true), 2));
    const inProcess = new InProcessExecutor({ compiler: new FakeCompiler() });
    const executor: PolicyExecutor = {
      prepare: async (generation, policies) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return inProcess.prepare(generation, policies);
      },
      compile: (policy) => inProcess.compile(policy),
      run: (job) => inProcess.run(job),
      release: (generation) => inProcess.release(generation),
      close: () => inProcess.close(),
    };
    const engine = await createLocalEngine({ dir, executor, authorizer: slowAllow, authorizerCache: false, debounceMs: 1, settleMs: 0 });
    cleanups.push(() => engine.close());
    const pair = generateSelfSigned();
    const inFlight = new InFlightTracker();
    const logger = pino({ level: 'silent' });
    const app = createApp({ handler: engine.handler, metrics: createMetrics(new Registry(), { processMetrics: false }), logger, readiness: () => ({ ready: true }), inFlight });
    const listener = await startHttpsListener({ app, host: '127.0.0.1', port: 0, tls: pair, logger, inFlight });
    cleanups.push(() => listener.close(0));
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    cleanups.push(() => agent.destroy());

    const body = fixtureText('pod-create');
    const load = startLoad(8, async (): Promise<[Outcome, string]> => {
      const answer = await postReview(listener.url, '/mutate', body, pair.cert, agent);
      return answer.json.response?.allowed === true ? ['ok', ''] : ['wrong', JSON.stringify(answer.json.response?.status)];
    });
    cleanups.push(() => load.stop());
    for (let round = 0; round < 20; round++) {
      const next = round % 2 === 0 ? revision('staging', 'prod') : revision('prod', 'dev');
      const generation = engine.policies.snapshot().generation;
      writeFileSync(file, next);
      await engine.reload();
      expect(engine.policies.snapshot().generation).toBeGreaterThan(generation);
      await load.callsAfter(8);
    }
    const tally = await load.stop();
    expect(tally.samples).toEqual([]);
    expect(tally.wrong + tally.reset + tally.error).toBe(0);
  });
});

async function fetchMetrics(server: RunningServer): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsRequest(`${server.url}/metrics`, { ca: server.selfSignedCert, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    })
      .on('error', reject)
      .end();
  });
}
