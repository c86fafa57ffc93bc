/**
 * Reads an admission request body: content type and encoding, size limit, time limit, nesting
 * limit, JSON parse. Every refusal is an AdmissionInputError (HTTP 400 with a clear message).
 */
import type { IncomingMessage } from 'node:http';
import { AdmissionInputError } from '../admission/index.js';
import { MAX_OBJECT_DEPTH } from '../engine/index.js';

/**
 * The API server refuses requests bigger than 3 MiB (its max request body size), so an
 * AdmissionReview it sends can hold at most that (plus the old object in an UPDATE, which the
 * API server also bounds by etcd's 1.5 MiB object limit). Anything larger did not come from it.
 */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Real Kubernetes objects nest a few dozen levels. The limit keeps recursive code further down
 * (schema validation, conversion to KCL values, policies) far from the stack limit. It is the
 * deepest object a policy may output plus the AdmissionReview's two levels around it, so that
 * kclguard never admits, through a policy's mutation, an object it would refuse to review later.
 */
export const MAX_JSON_DEPTH = MAX_OBJECT_DEPTH + 2;

/**
 * How long a body may take to arrive once the request headers have. The API server writes a
 * review in one go (a few milliseconds even at 3 MiB); a client that has not sent its whole body
 * by then is not the API server, and is answered A4009 and disconnected instead of holding
 * memory and, at shutdown, the grace period.
 */
export const BODY_READ_TIMEOUT_MS = 10_000;

/** How long a client whose body was refused may keep sending before its connection is cut. */
const DRAIN_GRACE_MS = 5_000;

export interface BodyLimits {
  readonly maxBytes?: number;
  readonly maxDepth?: number;
  /** Default BODY_READ_TIMEOUT_MS. */
  readonly readTimeoutMs?: number;
}

export interface BodyReadHooks {
  /**
   * Called with the size of each chunk as it arrives, before it is kept. Throwing refuses the
   * body: the read rejects with what was thrown and the rest of the body is discarded.
   */
  readonly onChunk?: (bytes: number) => void;
}

/**
 * `application/json`, with no charset or `charset=utf-8`: the body is always decoded as UTF-8
 * (JSON's only encoding between systems, RFC 8259), so another charset would be misread.
 */
export function checkContentType(header: string | undefined): void {
  const [mediaType = '', ...parameters] = (header ?? '').split(';');
  const refuse = (why: string): never => {
    throw new AdmissionInputError('A4002', `${why}, got ${header ? JSON.stringify(header.slice(0, 100)) : 'none'}`);
  };
  if (mediaType.trim().toLowerCase() !== 'application/json') refuse('content type must be application/json');
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    const name = (equals < 0 ? parameter : parameter.slice(0, equals)).trim().toLowerCase();
    if (name !== 'charset') continue;
    const value = parameter.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (equals < 0 || value !== 'utf-8') refuse('the body must be UTF-8 (charset=utf-8 or no charset)');
  }
}

/**
 * No Content-Encoding, or `identity`. The API server never compresses a review, and a body that
 * is would otherwise be parsed as it is.
 */
export function checkContentEncoding(header: string | undefined): void {
  const encoding = (header ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new AdmissionInputError(
      'A4010',
      `content encoding ${JSON.stringify(header!.slice(0, 100))} is not supported; send the body uncompressed (identity)`,
    );
  }
}

export async function readJsonBody(req: IncomingMessage, limits: BodyLimits = {}, hooks: BodyReadHooks = {}): Promise<unknown> {
  return (await readJsonBodyText(req, limits, hooks)).body;
}

/** readJsonBody, keeping the text too (the engine may send it to a worker instead of the objects). */
export async function readJsonBodyText(req: IncomingMessage, limits: BodyLimits = {}, hooks: BodyReadHooks = {}): Promise<{ body: unknown; text: string }> {
  const maxBytes = limits.maxBytes ?? MAX_BODY_BYTES;
  try {
    checkContentType(req.headers['content-type']);
    checkContentEncoding(req.headers['content-encoding']);
  } catch (error) {
    discardRest(req);
    throw error;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discardRest(req);
    throw tooLarge(maxBytes);
  }
  const text = await readText(req, maxBytes, limits.readTimeoutMs ?? BODY_READ_TIMEOUT_MS, hooks);
  if (text.trim() === '') throw new AdmissionInputError('A4007', 'request body is empty; expected an AdmissionReview');
  return { body: parseJson(text, limits.maxDepth ?? MAX_JSON_DEPTH), text };
}

export function parseJson(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new AdmissionInputError('A4004', `JSON nesting is deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'invalid JSON';
    throw new AdmissionInputError('A4001', `request body is not valid JSON: ${detail.slice(0, 200)}`);
  }
}

/**
 * True when brackets outside strings nest deeper than maxDepth. A linear scan before parsing, so
 * a hostile body is refused before any recursive code sees it.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

function readText(req: IncomingMessage, maxBytes: number, timeoutMs: number, hooks: BodyReadHooks): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const refuse = (error: unknown): void => {
      cleanup();
      discardRest(req);
      reject(error);
    };
    const timer = setTimeout(() => {
      refuse(new AdmissionInputError('A4009', `the request body did not arrive within ${timeoutMs / 1000} s of its headers (${size} bytes received)`));
    }, timeoutMs);
    timer.unref();
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        refuse(tooLarge(maxBytes));
        return;
      }
      try {
        hooks.onChunk?.(chunk.length);
      } catch (error) {
        refuse(error);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    // A client that disconnects mid-body may produce neither 'end' nor 'error'; without this the
    // review would count as in flight forever and hold up a graceful shutdown.
    const onClose = (): void => {
      cleanup();
      reject(new ClientGoneError());
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Answering before the body is read and closing at once would make the kernel reset the
 * connection, and the client might never see the 400. Instead the rest is read and thrown away,
 * for a bounded time.
 */
function discardRest(req: IncomingMessage): void {
  if (req.complete) return;
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_GRACE_MS);
  timer.unref();
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

/** The client went away before its body was complete; there is no one left to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before sending the whole body');
    this.name = 'ClientGoneError';
  }
}

function tooLarge(maxBytes: number): AdmissionInputError {
  return new AdmissionInputError(
    'A4003',
    `request body is larger than the limit of ${maxBytes} bytes; the API server never sends bodies that large`,
  );
}
