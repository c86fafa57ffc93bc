/**
 * Issue 11 item 5: ServiceAccount checks during an API-server outage, through the real HTTPS
 * listener. A least-privilege ServiceAccount (only the custom verb `validate`) keeps its
 * policy's denials, and a ServiceAccount with no rights keeps its policy without effect, while
 * every SubjectAccessReview is refused or hangs: last known answers stand in for the grace period.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { AuthorizationAttributes, Authorizer } from '../../src/engine/authorizer.js';
import { createLocalEngine } from '../../src/engine/local-engine.js';
import type { ServiceAccountRef } from '../../src/engine/model.js';
import { FakeCompiler } from '../../src/engine/testing/fake-compiler.js';
import { metricsObserver } from '../../src/observability/engine-observer.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createApp } from '../../src/server/app.js';
import { startHttpsListener } from '../../src/server/https-listener.js';
import { InFlightTracker } from '../../src/server/in-flight.js';
import { generateSelfSigned } from '../../src/server/self-signed.js';
import { postReview, startLoad, trackDeaths, type Outcome } from './churn-harness.js';
import { fixtureText } from './helpers.js';

jest.setTimeout(60_000);

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const POLICIES = `
apiVersion: krm.kcl.dev/v1alpha1
kind: KCLRun
metadata: {name: no-pods, namespace: team-a}
spec:
  mode: Validate
  serviceAccountName: validator
  selector: {resourceKind: Pod}
  source: '{"assert": "KG-NO-PODS"}'
---
apiVersion: krm.kcl.dev/v1alpha1
kind: KCLRun
metadata: {name: powerless, namespace: team-a}
spec:
  mode: Validate
  serviceAccountName: nobody
  selector: {resourceKind: ConfigMap, operations: [DELETE]}
  source: '{"assert": "KG-POWERLESS"}'
`;

/** A SubjectAccessReview stand-in: `validator` may `validate` (nothing else), `nobody` nothing. */
function apiServer() {
  const state = { outage: undefined as undefined | 'refuse' | 'hang', asked: 0 };
  const authorizer: Authorizer = (sa: ServiceAccountRef, attrs: AuthorizationAttributes) => {
    state.asked += 1;
    if (state.outage === 'refuse') return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    if (state.outage === 'hang') return new Promise<boolean>(() => undefined);
    return Promise.resolve(sa.name === 'validator' && attrs.verb === 'validate');
  };
  return { state, authorizer };
}

describe('ServiceAccount checks during an API-server outage', () => {
  it('keep every answer right for the grace period, whether the API server refuses or hangs', async () => {
    const deaths = trackDeaths();
    cleanups.push(() => deaths.dispose());
    const dir = mkdtempSync(join(tmpdir(), 'kclguard-sar-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'policies.yaml'), POLICIES);
    const { state, authorizer } = apiServer();
    const clock = { now: Date.now() };
    const metrics = createMetrics(new Registry(), { processMetrics: false });
    const observer = metricsObserver(metrics);
    const engine = await createLocalEngine({
      dir,
      compiler: new FakeCompiler(),
      authorizer,
      authorizerCache: { now: () => clock.now, allowedTtlMs: 300_000, deniedTtlMs: 30_000, outageGraceMs: 300_000, callTimeoutMs: 200, staleAfterMs: 50 },
      observer,
      watch: false,
    });
    cleanups.push(() => engine.close());
    const pair = generateSelfSigned();
    const inFlight = new InFlightTracker();
    const logger = pino({ level: 'silent' });
    const app = createApp({ handler: engine.handler, metrics, logger, readiness: () => ({ ready: true }), inFlight });
    const listener = await startHttpsListener({ app, host: '127.0.0.1', port: 0, tls: pair, logger, inFlight });
    cleanups.push(() => listener.close(0));
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    cleanups.push(() => agent.destroy());

    const pod = fixtureText('pod-create');
    const configMapDelete = fixtureText('configmap-delete');
    let round = 0;
    const review = async (): Promise<[Outcome, string]> => {
      round += 1;
      if (round % 2 === 0) {
        const answer = await postReview(listener.url, '/validate', pod, pair.cert, agent);
        const response = answer.json.response;
        const right = response.allowed === false && response.status?.code === 403 && String(response.status.message).includes('KG-NO-PODS');
        return [right ? 'ok' : 'wrong', `pod: ${JSON.stringify(response.status ?? response)}`];
      }
      const answer = await postReview(listener.url, '/validate', configMapDelete, pair.cert, agent);
      const response = answer.json.response;
      // The violation is dropped (the ServiceAccount may not validate): allowed, with a warning.
      const right = response.allowed === true && (response.warnings ?? []).some((w: string) => w.includes('team-a/powerless'));
      return [right ? 'ok' : 'wrong', `configmap: ${JSON.stringify(response)}`];
    };

    // Healthy: the answers are learned.
    for (let i = 0; i < 4; i++) expect((await review())[0]).toBe('ok');
    const askedWhenHealthy = state.asked;

    for (const outage of ['refuse', 'hang'] as const) {
      state.outage = outage;
      clock.now += 310_000; // past every TTL, within the grace period
      const load = startLoad(8, review);
      cleanups.push(() => load.stop());
      await load.callsAfter(200);
      const tally = await load.stop();
      expect(tally.samples).toEqual([]);
      expect({ outage, wrong: tally.wrong, reset: tally.reset, error: tally.error }).toEqual({ outage, wrong: 0, reset: 0, error: 0 });
      // The API server was asked (refreshes) but never answered.
      expect(state.asked).toBeGreaterThan(askedWhenHealthy);
      state.outage = undefined;
      // Recovered: the next checks ask again and learn fresh answers.
      await review();
      await review();
      clock.now += 1;
    }
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/kclguard_serviceaccount_checks_total\{answer="stale"\} [1-9]/);
    expect(text).not.toContain('kclguard_serviceaccount_checks_total{answer="failed"}');
    expect(deaths.count()).toBe(0);
  });
});
