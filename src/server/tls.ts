/**
 * Where the server's certificate comes from: --cert/--key files (checked now, reloaded when they
 * change) or a generated self-signed certificate for the given host names, which is saved
 * (certificate only, never the key) so a local client can trust exactly this server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readKeyPair, type CertificateFiles } from './https-listener.js';
import { generateSelfSigned, type KeyPair } from './self-signed.js';

export interface ServerCertificate {
  /** What the listener serves: files (reloaded) or an in-memory pair. */
  readonly tls: CertificateFiles | KeyPair;
  /** Set when generated: the certificate clients (and a caBundle) must trust. */
  readonly selfSigned?: KeyPair;
}

/** The files cannot be used: unreadable, not PEM, or the key does not match the certificate. */
export class CertificateError extends Error {
  constructor(
    readonly files: { readonly cert: string; readonly key: string },
    readonly reason: string,
  ) {
    super(`cannot use --cert ${files.cert} --key ${files.key}: ${reason}`);
    this.name = 'CertificateError';
  }
}

export async function serverCertificate(files: { cert: string; key: string } | undefined, hosts: readonly string[]): Promise<ServerCertificate> {
  if (!files) {
    const selfSigned = generateSelfSigned({ hosts });
    return { tls: selfSigned, selfSigned };
  }
  const tls = { certFile: resolve(files.cert), keyFile: resolve(files.key) };
  try {
    await readKeyPair(tls);
  } catch (error) {
    throw new CertificateError(files, error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
  return { tls };
}

/** Saves a generated certificate where `serve` says it is; undefined when it cannot. */
export function saveGeneratedCertificate(cert: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  try {
    const dir = join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kclguard');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'serve-ca.crt');
    writeFileSync(path, cert);
    return path;
  } catch {
    return undefined;
  }
}
