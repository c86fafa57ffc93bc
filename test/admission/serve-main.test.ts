/** `kclguard serve` as the CLI runs it: exit codes, one-line coded errors, signals. */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/serve.js';
import { cliErrorCode } from '../cli/cli-harness.js';
import { clearServeEnvironment } from '../support/serve-environment.js';

let stderr: string[];
let stdout: string[];
let cacheDir: string;
/** Called with each chunk serve writes to stderr, so a test can wait for a line. */
let onStderr: (chunk: string) => void;
const savedEnv = { ...process.env };

beforeEach(() => {
  stderr = [];
  stdout = [];
  onStderr = () => undefined;
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    stderr.push(String(chunk));
    onStderr(String(chunk));
    return true;
  });
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    stdout.push(String(chunk));
    return true;
  });
  cacheDir = mkdtempSync(join(tmpdir(), 'kclguard-main-'));
  clearServeEnvironment(process.env);
  process.env.XDG_CACHE_HOME = cacheDir;
});

/** What serve wrote, without node's own warnings (the VM-modules one may land in any test). */
function ourStderr(): string {
  return stderr.filter((chunk) => !chunk.startsWith('(node:') && !chunk.includes('--trace-warnings')).join('');
}

/** serve's exit code and the code of the one error line it printed. */
async function failure(argv: string[]): Promise<string> {
  const code = await main(argv);
  return cliErrorCode({ code, out: stdout.join(''), err: ourStderr() }, 'serve');
}

/** Resolves with the first match of `pattern` in what serve writes to stderr. */
function stderrLine(pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const match = pattern.exec(stderr.join(''));
      if (match) resolve(match[1] ?? match[0]);
      return match;
    };
    if (!check()) onStderr = () => void check();
  });
}

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('kclguard serve main', () => {
  it.each([
    [['--nope'], 'C1003'],
    [['--port', 'eighty'], 'C1006'],
    [['--kubeconfig', 'no-such-kubeconfig.yaml'], 'C2016'],
    [['--register-webhooks'], 'C1010'],
    [['--key', 'k.pem'], 'C1009'],
    [['--policies', '/definitely/not/here'], 'C2002'],
  ])('exits 2 with one coded line for %j', async (argv, code) => {
    expect(await failure(argv)).toBe(code);
  });

  it('exits 2 for a bad environment twin', async () => {
    process.env.KCLGUARD_PORT = 'lots';
    expect(await failure(['--policies', cacheDir])).toBe('C1006');
    expect(stderr.join('')).toContain('KCLGUARD_PORT');
  });

  it('exits 2 for certificate files that cannot be used', async () => {
    expect(await failure(['--policies', cacheDir, '--cert', join(cacheDir, 'none.crt'), '--key', join(cacheDir, 'none.key')])).toBe('C2017');
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
      expect(await failure(['--policies', cacheDir, '--port', String(port), '--log-level', 'silent'])).toBe('C3001');
      expect(stderr.join('')).toContain('address already in use');
    } finally {
      blocker.close();
    }
  });

  it('serves until SIGTERM, then shuts down and exits 0', async () => {
    const before = new Set(process.listeners('SIGTERM'));
    const exit = main(['--policies', cacheDir, '--port', '0', '--log-level', 'silent', '--shutdown-grace-seconds', '1', '--shutdown-delay-seconds', '0']);
    const url = await stderrLine(/kclguard serving (https:\/\/\S+)/);
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
    expect(await failure(argv)).toBe('C3002');
    expect(ourStderr()).not.toContain('kclguard serving');
  });
});
