/** `kclguard serve` as the CLI runs it: exit codes, one-line errors, signals. */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/serve.js';

let stderr: string[];
let stdout: string[];
let cacheDir: string;
const savedEnv = { ...process.env };

beforeEach(() => {
  stderr = [];
  stdout = [];
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    stderr.push(String(chunk));
    return true;
  });
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    stdout.push(String(chunk));
    return true;
  });
  cacheDir = mkdtempSync(join(tmpdir(), 'kclguard-main-'));
  process.env.XDG_CACHE_HOME = cacheDir;
  for (const key of Object.keys(process.env)) if (key.startsWith('KCLGUARD_')) delete process.env[key];
});

/** What serve wrote, without node's own warnings (the VM-modules one may land in any test). */
function ourStderr(): string {
  return stderr.filter((chunk) => !chunk.startsWith('(node:') && !chunk.includes('--trace-warnings')).join('');
}

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('kclguard serve main', () => {
  it.each([
    [['--nope']],
    [['--port', 'eighty']],
    [['--kubeconfig', 'kubeconfig.yaml']],
    [['--register-webhooks']],
    [['--key', 'k.pem']],
    [['--policies', '/definitely/not/here']],
  ])('exits 2 with one line for %j', async (argv) => {
    expect(await main(argv)).toBe(2);
    expect(ourStderr()).toMatch(/^kclguard serve: [^\n]+\n$/);
  });

  it('exits 2 for a bad environment twin', async () => {
    process.env.KCLGUARD_PORT = 'lots';
    expect(await main(['--policies', cacheDir])).toBe(2);
    expect(stderr.join('')).toContain('KCLGUARD_PORT');
  });

  it('exits 2 for certificate files that cannot be used', async () => {
    expect(await main(['--policies', cacheDir, '--cert', join(cacheDir, 'none.crt'), '--key', join(cacheDir, 'none.key')])).toBe(2);
    expect(ourStderr()).toMatch(/^kclguard serve: cannot use --cert [^\n]+\n$/);
  });

  it('prints usage for --help and exits 0', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(stdout.join('')).toContain('KCLGUARD_POLICIES');
  });

  it('exits 1 with one line when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      expect(await main(['--policies', cacheDir, '--port', String(port), '--log-level', 'silent'])).toBe(1);
      expect(stderr.join('')).toContain('address already in use');
    } finally {
      blocker.close();
    }
  });

  it('serves until SIGTERM, then shuts down and exits 0', async () => {
    const before = new Set(process.listeners('SIGTERM'));
    const exit = main(['--policies', cacheDir, '--port', '0', '--log-level', 'silent', '--shutdown-grace-seconds', '1', '--shutdown-delay-seconds', '0']);
    const deadline = Date.now() + 10_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      url = /kclguard serving (https:\/\/\S+)/.exec(stderr.join(''))?.[1];
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(url).toBeDefined();
    const ca = readFileSync(join(cacheDir, 'kclguard', 'serve-ca.crt'), 'utf8');
    const status = await new Promise<number>((resolve, reject) => {
      httpsRequest(`${url}/readyz`, { ca, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
    const ours = process.listeners('SIGTERM').filter((listener) => !before.has(listener));
    expect(ours).toHaveLength(1);
    (ours[0] as (signal: NodeJS.Signals) => void)('SIGTERM');
    expect(await exit).toBe(0);
    expect(stderr.join('')).toContain('SIGTERM received');
    expect(process.listeners('SIGTERM').filter((listener) => !before.has(listener))).toHaveLength(0);
  });

  it('exits 1 instead of serving an empty policy set when the cluster cannot be listed', async () => {
    const kubeconfig = join(cacheDir, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
        '',
      ].join('\n'),
    );
    const argv = ['--kubeconfig', kubeconfig, '--port', '0', '--log-level', 'silent', '--cluster-sync-timeout-seconds', '1'];
    expect(await main(argv)).toBe(1);
    expect(ourStderr()).toMatch(/^kclguard serve: cannot reach the cluster \(kubeconfig\): [^\n]+\n$/);
    expect(ourStderr()).not.toContain('kclguard serving');
  });
});
