/**
 * Reading a certificate/key pair from files, and telling a usable pair from one that is "not
 * usable yet". A Secret rotation, an in-place rewrite or a slow writer can leave the files empty,
 * cut off mid-PEM, or holding a certificate of one generation and a key of another. Node's
 * createSecureContext accepts an empty certificate or key without complaint (every handshake then
 * fails), so every part is checked here before a pair is ever served.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { KeyPair } from './self-signed.js';

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Why a pair cannot be served; stable codes for logs, metrics and tests. */
export type CertificateProblemCode =
  | 'unreadable'
  | 'empty-certificate'
  | 'empty-key'
  | 'incomplete-pem'
  | 'invalid-certificate'
  | 'invalid-key'
  | 'key-mismatch';

export class CertificateProblem extends Error {
  constructor(
    readonly code: CertificateProblemCode,
    message: string,
  ) {
    super(message);
    this.name = 'CertificateProblem';
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * The PEM blocks of a file. Every BEGIN line must have its END line, and no line outside a block
 * may start like a PEM boundary: a file cut off inside a block or inside a boundary line is
 * caught here (Node would silently use the complete blocks before the cut).
 */
function pemBlocks(text: string, what: string): { label: string; pem: string }[] {
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, pem: m[0] }));
  const outside = text.replace(PEM_BLOCK, '');
  if (outside.split('\n').some((line) => line.trimStart().startsWith('-'))) {
    throw new CertificateProblem('incomplete-pem', `the ${what} file ends inside a PEM block (partly written?)`);
  }
  return blocks;
}

/** The leaf certificate of a valid pair; throws CertificateProblem otherwise. */
export function validateKeyPair(pair: KeyPair): X509Certificate {
  if (pair.cert.trim() === '') throw new CertificateProblem('empty-certificate', 'the certificate file is empty');
  if (pair.key.trim() === '') throw new CertificateProblem('empty-key', 'the key file is empty');
  const certificates = pemBlocks(pair.cert, 'certificate').filter((b) => b.label === 'CERTIFICATE');
  pemBlocks(pair.key, 'key');
  if (certificates.length === 0) throw new CertificateProblem('invalid-certificate', 'the certificate file holds no PEM certificate');
  let chain: X509Certificate[];
  try {
    chain = certificates.map((b) => new X509Certificate(b.pem));
  } catch (error) {
    throw new CertificateProblem('invalid-certificate', `the certificate does not parse: ${firstLine(error)}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(pair.key);
  } catch (error) {
    throw new CertificateProblem('invalid-key', `the key does not parse: ${firstLine(error)}`);
  }
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new CertificateProblem('key-mismatch', 'the key does not belong to the certificate (rotation half done?)');
  }
  try {
    createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (error) {
    throw new CertificateProblem('invalid-certificate', `TLS refuses the pair: ${firstLine(error)}`);
  }
  return leaf;
}

/** Reads both files and validates them as a pair; throws CertificateProblem when not usable. */
export async function readKeyPair(files: CertificateFiles): Promise<KeyPair> {
  return (await readCertificateFiles(files)).pair;
}

/** readKeyPair, with the parsed leaf certificate. */
export async function readCertificateFiles(files: CertificateFiles): Promise<{ pair: KeyPair; leaf: X509Certificate }> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CertificateProblem('unreadable', `cannot read ${(error as { path?: string }).path ?? 'the files'}: ${code ?? firstLine(error)}`);
  }
  const pair = { cert, key };
  return { pair, leaf: validateKeyPair(pair) };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
