/**
 * The HTTPS listener: serves the app with a certificate from files (reloaded when they change, so
 * a rotated Secret needs no restart) or from memory (the generated self-signed one), and shuts
 * down gracefully.
 */
import { X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { InFlightTracker } from './in-flight.js';
import type { KeyPair } from './self-signed.js';

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface HttpsListenerOptions {
  readonly app: RequestListener;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls: CertificateFiles | KeyPair;
  readonly logger: Logger;
  readonly inFlight: InFlightTracker;
  /** Events from a Secret update come in bursts; reload once they settle. */
  readonly reloadDebounceMs?: number;
  /** A safety net for file systems whose change events are unreliable. 0 disables. */
  readonly reloadPollMs?: number;
  /**
   * Open connections at most (further ones are refused at accept). The API servers pool their
   * connections, so a few dozen per API server is plenty; the cap bounds memory. Default 1024.
   */
  readonly maxConnections?: number;
}

export interface HttpsListener {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** SHA-256 fingerprint of the certificate being served. */
  fingerprint(): string;
  /** Re-reads the certificate files; true when a new certificate is now served. */
  reloadCertificate(): Promise<boolean>;
  /**
   * Stops accepting connections, waits up to graceMs for reviews in flight, then closes every
   * connection. Resolves true when nothing had to be cut off.
   */
  close(graceMs: number): Promise<boolean>;
}

function isFiles(tls: CertificateFiles | KeyPair): tls is CertificateFiles {
  return 'certFile' in tls;
}

export async function readKeyPair(files: CertificateFiles): Promise<KeyPair> {
  const [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  // Throws on unreadable PEM or a key that does not match the certificate: better now than at
  // the first handshake.
  createSecureContext({ cert, key });
  return { cert, key };
}

function fingerprintOf(pair: KeyPair): string {
  return new X509Certificate(pair.cert).fingerprint256;
}

export async function startHttpsListener(options: HttpsListenerOptions): Promise<HttpsListener> {
  const { logger } = options;
  let current = isFiles(options.tls) ? await readKeyPair(options.tls) : options.tls;
  const server = createServer({ cert: current.cert, key: current.key }, options.app);
  // The API server keeps connections open; a short keep-alive would make it reconnect needlessly.
  server.keepAliveTimeout = 60_000;
  // The API server sends its headers at once; a client that does not within 15 s is not one.
  server.headersTimeout = 15_000;
  // No honest review takes longer than the API server's 30 s webhook maximum; a client
  // trickling its body slower than this is cut off instead of holding memory for node's 5 min.
  server.requestTimeout = 35_000;
  server.maxConnections = options.maxConnections ?? 1024;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  const reloadCertificate = async (): Promise<boolean> => {
    if (!isFiles(options.tls)) return false;
    let next: KeyPair;
    try {
      next = await readKeyPair(options.tls);
    } catch (error) {
      // Mid-rotation the two files can briefly disagree; the next event or poll retries.
      logger.warn({ err: error, certFile: options.tls.certFile }, 'certificate files not usable yet; still serving the previous certificate');
      return false;
    }
    if (next.cert === current.cert && next.key === current.key) return false;
    server.setSecureContext({ cert: next.cert, key: next.key });
    current = next;
    const certificate = new X509Certificate(next.cert);
    logger.info(
      { fingerprint: certificate.fingerprint256, validTo: certificate.validTo, subject: certificate.subject },
      'serving reloaded certificate',
    );
    return true;
  };

  const stopWatching = isFiles(options.tls)
    ? watchCertificateFiles(options.tls, reloadCertificate, options.reloadDebounceMs ?? 200, options.reloadPollMs ?? 30_000, logger)
    : () => undefined;

  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    host: address.address,
    port: address.port,
    url: `https://${host}:${address.port}`,
    fingerprint: () => fingerprintOf(current),
    reloadCertificate,
    async close(graceMs: number): Promise<boolean> {
      stopWatching();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drained = await options.inFlight.waitForIdle(graceMs);
      server.closeAllConnections();
      await closed;
      return drained;
    },
  };
}

/**
 * Watches the directories, not the files: a Kubernetes Secret volume updates by swapping a
 * `..data` symlink, which replaces the files without ever writing to them.
 */
function watchCertificateFiles(
  files: CertificateFiles,
  reload: () => Promise<boolean>,
  debounceMs: number,
  pollMs: number,
  logger: Logger,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const directory of new Set([dirname(files.certFile), dirname(files.keyFile)])) {
    try {
      const watcher = watch(directory, { persistent: false }, schedule);
      watcher.on('error', (error) => logger.warn({ err: error, directory }, 'certificate directory watch failed; relying on polling'));
      watchers.push(watcher);
    } catch (error) {
      logger.warn({ err: error, directory }, 'cannot watch certificate directory; relying on polling');
    }
  }
  const poll = pollMs > 0 ? setInterval(() => void reload(), pollMs) : undefined;
  poll?.unref();
  return () => {
    clearTimeout(timer);
    clearInterval(poll);
    for (const watcher of watchers) watcher.close();
  };
}
