import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { InProcessExecutor, kclCompiler } from '../engine/index.js';
import { PolicySet } from '../engine/index.js';
import { ClusterPolicySource, ClusterSyncError } from './cluster-policy-source.js';

function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

/** A loopback stand-in for the API server: empty LISTs, watches held open; `forbidden` paths get 403. */
async function fakeApiServer(forbidden: (path: string) => boolean): Promise<{ url: string; server: Server }> {
  const watches: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('Content-Type', 'application/json');
    if (forbidden(url.pathname)) {
      res.statusCode = 403;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403 }));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200);
      res.flushHeaders();
      watches.push(res);
      return;
    }
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [], metadata: { resourceVersion: '7' } }));
  });
  server.on('close', () => watches.forEach((w) => w.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * A failing start-up ends at its sync timeout, kept short so those tests are quick (a slower
 * machine only fails them later, never differently); a start-up that succeeds gets a long one,
 * so a busy machine answering the LISTs slowly cannot turn it into a failure.
 */
const FAILING_SYNC_TIMEOUT_MS = 800;
const SUCCEEDING_SYNC_TIMEOUT_MS = 60_000;

const newSource = (kubeConfig: KubeConfig, syncTimeoutMs = FAILING_SYNC_TIMEOUT_MS) =>
  new ClusterPolicySource({ kubeConfig, policySet: new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }) }), syncTimeoutMs });

describe('ClusterPolicySource start-up', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('refuses to start when the API server is unreachable', async () => {
    const source = newSource(kubeConfigFor('https://127.0.0.1:1'));
    await expect(source.start()).rejects.toBeInstanceOf(ClusterSyncError);
    expect(source.ready).toBe(false);
  });

  it('refuses to start when one LIST is forbidden', async () => {
    const api = await fakeApiServer((path) => path === '/api/v1/namespaces');
    cleanups.push(() => new Promise((resolve) => { api.server.closeAllConnections(); api.server.close(() => resolve()); }));
    const source = newSource(kubeConfigFor(api.url));
    await expect(source.start()).rejects.toBeInstanceOf(ClusterSyncError);
    expect(source.ready).toBe(false);
  });

  it('is ready once every LIST succeeded', async () => {
    const api = await fakeApiServer(() => false);
    cleanups.push(() => new Promise((resolve) => { api.server.closeAllConnections(); api.server.close(() => resolve()); }));
    const source = newSource(kubeConfigFor(api.url), SUCCEEDING_SYNC_TIMEOUT_MS);
    const report = await source.start();
    cleanups.unshift(() => source.stop());
    expect(source.ready).toBe(true);
    expect(report.problems).toEqual([]);
  });
});
