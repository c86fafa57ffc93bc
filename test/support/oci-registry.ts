/**
 * A real OCI registry on 127.0.0.1 for tests: `crane registry serve` (go-containerregistry,
 * built by scripts/oci-registry/build.sh from pinned tool modules), with an HTTPS front that
 * can demand authentication the way real registries do (Basic, or the Bearer token flow with a
 * /token endpoint) and can be taken down and brought back (an outage). Packages are pushed with
 * oras exactly as `kcl mod push` publishes them: the package directory tarred with its entries
 * relative to it (`./`, `./kcl.mod`, ...), one layer and the artifact type
 * application/vnd.oci.image.layer.v1.tar, and the org.kcllang.package.* annotations.
 *
 * Used by test/sources (jest) and the e2e suite; every process it starts is stopped by stop().
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSelfSigned } from '../../src/server/index.js';
import { freePort } from './free-port.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type RegistryAuth = { readonly scheme: 'none' } | { readonly scheme: 'basic' | 'bearer'; readonly user: string; readonly password: string };

export interface TestRegistry {
  /** host:port of the HTTPS front (what policies name). */
  readonly host: string;
  /** host:port of crane itself (plain HTTP, no authentication). */
  readonly plainHost: string;
  /** The front's certificate (a CA for itself): trust it with --registry-ca-file. */
  readonly caPem: string;
  readonly caFile: string;
  /** The front's certificate and key (hand them to another registry to share one CA file). */
  readonly keyPair: { readonly cert: string; readonly key: string };
  /** Publishes a package directory's files as `kcl mod push` would; returns the manifest digest. */
  push(repository: string, tag: string, files: Readonly<Record<string, string>>): string;
  /** Takes the HTTPS front down (connections refused) or brings it back on the same port. */
  setDown(down: boolean): Promise<void>;
  /** Requests the front served (after authentication), by path. */
  readonly served: string[];
  stop(): Promise<void>;
}

let toolsDir: string | undefined;

/** The crane and oras binaries (built once per machine, then cached). */
export function ociTools(): { crane: string; oras: string } {
  toolsDir ??= execFileSync(join(ROOT, 'scripts', 'oci-registry', 'build.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return { crane: join(toolsDir, 'crane'), oras: join(toolsDir, 'oras') };
}


async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((done) => {
      const req = http.get(url, (res) => {
        res.resume();
        done(res.statusCode === 200);
      });
      req.on('error', () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the test registry did not start at ${url}`);
}

export async function startRegistry(auth: RegistryAuth = { scheme: 'none' }, keyPair?: { readonly cert: string; readonly key: string }): Promise<TestRegistry> {
  const tools = ociTools();
  const work = mkdtempSync(join(tmpdir(), 'kclguard-registry-'));
  const cranePort = await freePort();
  const crane: ChildProcess = spawn(tools.crane, ['registry', 'serve', '--address', `127.0.0.1:${cranePort}`], { stdio: 'ignore' });
  const plainHost = `127.0.0.1:${cranePort}`;
  await waitFor(`http://${plainHost}/v2/`);

  const pair = keyPair ?? generateSelfSigned({ hosts: ['127.0.0.1', 'localhost'] });
  const caFile = join(work, 'registry-ca.pem');
  writeFileSync(caFile, pair.cert);
  const frontPort = await freePort();
  const host = `127.0.0.1:${frontPort}`;
  const token = `token-${Math.random().toString(36).slice(2)}`;
  const served: string[] = [];
  const basic = auth.scheme === 'none' ? '' : `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', `https://${host}`);
    if (url.pathname === '/token') {
      if (auth.scheme !== 'bearer' || req.headers.authorization !== basic || url.searchParams.get('service') !== host) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const allowed = auth.scheme === 'none' || req.headers.authorization === (auth.scheme === 'basic' ? basic : `Bearer ${token}`);
    if (!allowed) {
      const challenge = auth.scheme === 'basic' ? 'Basic realm="kclguard-test"' : `Bearer realm="https://${host}/token",service="${host}",scope="repository:pull"`;
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    served.push(url.pathname);
    const upstream = http.request({ host: '127.0.0.1', port: cranePort, method: req.method, path: req.url, headers: { ...req.headers, host: plainHost } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  };

  let front: https.Server | undefined;
  const sockets = new Set<import('node:stream').Duplex>();
  const listen = async (): Promise<void> => {
    front = https.createServer({ cert: pair.cert, key: pair.key }, handle);
    front.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((done) => front!.listen(frontPort, '127.0.0.1', done));
  };
  const close = async (): Promise<void> => {
    if (!front) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((done) => front!.close(() => done()));
    front = undefined;
  };
  await listen();

  let pushes = 0;
  return {
    host,
    plainHost,
    caPem: pair.cert,
    caFile,
    keyPair: pair,
    served,
    push(repository, tag, files) {
      const dir = join(work, `push-${++pushes}`);
      const pkg = join(dir, 'pkg');
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(pkg, path)), { recursive: true });
        writeFileSync(join(pkg, path), text);
      }
      const name = repository.split('/').pop()!;
      const archive = `${name}_${tag}.tar`;
      // kpm's TarDir: entries relative to the package directory, the directory itself as "./".
      execFileSync('tar', ['-cf', join(dir, archive), '-C', pkg, '.']);
      const out = execFileSync(
        tools.oras,
        [
          'push', '--plain-http', '--no-tty',
          '--artifact-type', 'application/vnd.oci.image.layer.v1.tar',
          '--annotation', `org.kcllang.package.name=${name}`,
          '--annotation', `org.kcllang.package.version=${tag}`,
          `${plainHost}/${repository}:${tag}`,
          `${archive}:application/vnd.oci.image.layer.v1.tar`,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(out)?.[1];
      if (!digest) throw new Error(`oras push printed no digest:\n${out}`);
      return digest;
    },
    async setDown(down) {
      if (down) await close();
      else if (!front) await listen();
    },
    async stop() {
      await close();
      crane.kill('SIGTERM');
      rmSync(work, { recursive: true, force: true });
    },
  };
}
