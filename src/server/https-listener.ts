/**
 * The HTTPS listener: serves the app with a certificate from files (reloaded when they change, so
 * a rotated Secret needs no restart) or from memory (the generated self-signed one), and shuts
 * down gracefully.
 *
 * Certificate files are hostile input: a rotation half done, a file cut off mid-write or left
 * empty is "not usable yet". The pair being served changes only to another complete, matching
 * pair that read the same twice in a row; until then the previous pair keeps serving, and a
 * metric and a log line say why. No timer here ever throws.
 */
import type { X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/index.js';
import { CertificateProblem, readCertificateFiles, validateKeyPair, type CertificateFiles } from './certificate-pair.js';
import type { InFlightTracker } from './in-flight.js';
import type { KeyPair } from './self-signed.js';

export { readKeyPair, type CertificateFiles } from './certificate-pair.js';

export type CertificateMetrics = Pick<Metrics, 'tlsCertificateReloads' | 'tlsCertificateFilesUsable' | 'tlsCertificateExpiration'>;

export interface HttpsListenerOptions {
  readonly app: RequestListener;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls: CertificateFiles | KeyPair;
  readonly logger: Logger;
  readonly inFlight: InFlightTracker;
  readonly metrics?: CertificateMetrics;
  /** Events from a Secret update come in bursts; reload once they settle. */
  readonly reloadDebounceMs?: number;
  /**
   * A changed pair is served only when a second read this much later finds the same bytes: a
   * writer that pauses between writes can leave a file that validates but is not finished (a
   * chain cut between two certificates). Default: the debounce.
   */
  readonly reloadSettleMs?: number;
  /** A safety net for file systems whose change events are unreliable. 0 disables. */
  readonly reloadPollMs?: number;
  /**
   * Open connections at most (further ones are refused at accept). The API servers pool their
   * connections, so a few dozen per API server is plenty; the cap bounds memory. Default 1024.
   */
  readonly maxConnections?: number;
  /** Default TLS_HANDSHAKE_TIMEOUT_MS. */
  readonly handshakeTimeoutMs?: number;
}

/**
 * A TLS handshake must end this soon after the TCP connection opens (node's default is 120 s).
 * Until it does, none of the HTTP deadlines apply, so 1024 connections that never send a
 * ClientHello would otherwise fill maxConnections, and lock every new client out, for 2 minutes.
 * An API server completes a handshake in milliseconds.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * How often node checks the headers and request deadlines of open connections (its default is
 * 30 s, which would let a connection outlive the 10 s headers deadline by up to 30 s).
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

export interface HttpsListener {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** SHA-256 fingerprint of the certificate being served. */
  fingerprint(): string;
  /** Re-reads the certificate files; true when a new certificate is now served. Never rejects. */
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

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export async function startHttpsListener(options: HttpsListenerOptions): Promise<HttpsListener> {
  const { logger, metrics } = options;
  let { pair: current, leaf } = isFiles(options.tls)
    ? await readCertificateFiles(options.tls)
    : { pair: options.tls, leaf: validateKeyPair(options.tls) };
  const server = createServer(
    {
      cert: current.cert,
      key: current.key,
      handshakeTimeout: options.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    },
    options.app,
  );
  // The API server keeps connections open; a short keep-alive would make it reconnect needlessly
  // (and widen the race of a request sent on a connection the server is closing).
  server.keepAliveTimeout = 60_000;
  // The API server sends its headers at once; a client that does not within 10 s (of the end of
  // the handshake, or of its previous request) is not one. This also bounds a TLS connection
  // that never sends a request.
  server.headersTimeout = 10_000;
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
  metrics?.tlsCertificateFilesUsable.set(1);
  metrics?.tlsCertificateExpiration.set(expirationSeconds(leaf));

  const debounceMs = options.reloadDebounceMs ?? 200;
  const settleMs = options.reloadSettleMs ?? debounceMs;
  let lastProblem: string | undefined;

  const attemptReload = async (files: CertificateFiles): Promise<boolean> => {
    try {
      const { pair: next, leaf: nextLeaf } = await readCertificateFiles(files);
      if (next.cert === current.cert && next.key === current.key) {
        if (lastProblem !== undefined) logger.info({ certFile: files.certFile }, 'certificate files usable again; serving them unchanged');
        lastProblem = undefined;
        metrics?.tlsCertificateFilesUsable.set(1);
        return false;
      }
      if (settleMs > 0) {
        await delay(settleMs);
        const { pair: again } = await readCertificateFiles(files);
        if (again.cert !== next.cert || again.key !== next.key) {
          // Still being written: the change events of those writes schedule the next attempt.
          logger.debug({ certFile: files.certFile }, 'certificate files still changing; waiting');
          return false;
        }
      }
      server.setSecureContext({ cert: next.cert, key: next.key });
      current = next;
      leaf = nextLeaf;
      lastProblem = undefined;
      metrics?.tlsCertificateReloads.inc({ result: 'reloaded' });
      metrics?.tlsCertificateFilesUsable.set(1);
      metrics?.tlsCertificateExpiration.set(expirationSeconds(leaf));
      logger.info({ fingerprint: leaf.fingerprint256, validTo: leaf.validTo, subject: leaf.subject }, 'serving reloaded certificate');
      return true;
    } catch (error) {
      const code = error instanceof CertificateProblem ? error.code : 'invalid-certificate';
      const reason = error instanceof Error ? error.message : String(error);
      metrics?.tlsCertificateReloads.inc({ result: 'not_usable' });
      metrics?.tlsCertificateFilesUsable.set(0);
      // One warning per distinct problem: the poll would otherwise repeat it every interval.
      const problem = `${code}: ${reason}`;
      const log = problem === lastProblem ? logger.debug.bind(logger) : logger.warn.bind(logger);
      lastProblem = problem;
      log({ code, reason, certFile: files.certFile, keyFile: files.keyFile, fingerprint: leaf.fingerprint256 }, 'certificate files not usable yet; still serving the previous certificate');
      return false;
    }
  };

  // One attempt at a time: a watch event and a poll tick must not interleave their reads.
  let reloading: Promise<boolean> = Promise.resolve(false);
  const reloadCertificate = (): Promise<boolean> => {
    const tls = options.tls;
    if (!isFiles(tls)) return Promise.resolve(false);
    reloading = reloading.then(() => attemptReload(tls), () => attemptReload(tls));
    return reloading;
  };

  const stopWatching = isFiles(options.tls)
    ? watchCertificateFiles(options.tls, reloadCertificate, debounceMs, options.reloadPollMs ?? 30_000, logger)
    : () => undefined;

  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    host: address.address,
    port: address.port,
    url: `https://${host}:${address.port}`,
    fingerprint: () => leaf.fingerprint256,
    reloadCertificate,
    async close(graceMs: number): Promise<boolean> {
      stopWatching();
      // server.close() also closes the connections it sees as idle. A request that has reached
      // this process but is not read yet (the poll phase has not run) would be reset with its
      // connection; one turn of the event loop lets it be read, and a connection with a request
      // being answered is never idle.
      await new Promise((resolve) => setImmediate(resolve));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const drained = await options.inFlight.waitForIdle(graceMs);
      server.closeAllConnections();
      await closed;
      return drained;
    },
  };
}

function expirationSeconds(certificate: X509Certificate): number {
  return Math.floor(Date.parse(certificate.validTo) / 1000);
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
  // reload() never rejects; the catch is a guard so that no timer can ever end the process.
  const run = (): void => {
    reload().catch((error: unknown) => logger.error({ err: error }, 'certificate reload failed'));
  };
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
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
  const poll = pollMs > 0 ? setInterval(run, pollMs) : undefined;
  poll?.unref();
  return () => {
    clearTimeout(timer);
    clearInterval(poll);
    for (const watcher of watchers) watcher.close();
  };
}
