/**
 * One HTTP(S) exchange with a registry, bounded: the body is read only up to `maxBytes` (a
 * Content-Length above it is refused before reading), the whole exchange has a deadline, and
 * redirects are NOT followed here (the registry client decides which ones are safe). Errors
 * carry no response text.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { SourceError } from './errors.js';

export interface HttpRequest {
  readonly url: URL;
  /** HEAD: only the status and headers matter (a blob's existence and access). */
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The most body bytes to read; more is S3002 (or, for a status that is not 2xx, ignored). */
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Ends the exchange early (S2003 with the signal's SourceError reason, if it has one). */
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body of a 2xx answer; empty otherwise (never shown to anyone). */
  readonly body: Buffer;
}

export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

export interface TransportOptions {
  /** PEM certificates trusted in addition to Node's built-in roots (a private registry's CA). */
  readonly extraCaPem?: readonly string[];
}

function describeNetworkError(error: NodeJS.ErrnoException, url: URL): string {
  const where = url.host;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where} could not be resolved`;
    case 'ECONNRESET':
      return `${where} reset the connection`;
    case 'CERT_HAS_EXPIRED':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `${where} presented a certificate that is not trusted (${error.code}); add its CA with --registry-ca-file`;
    default:
      return `${where}: ${error.code ?? error.message.split('\n')[0]!.slice(0, 200)}`;
  }
}

function abortReason(signal: AbortSignal, url: URL): SourceError {
  return signal.reason instanceof SourceError ? signal.reason : new SourceError('S2003', `${url.host}: the exchange was given up`);
}

export function nodeTransport(options: TransportOptions = {}): HttpTransport {
  const ca = options.extraCaPem && options.extraCaPem.length > 0 ? [...rootCertificates, ...options.extraCaPem] : undefined;
  return (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const { url } = request;
      const secure = url.protocol === 'https:';
      const lib = secure ? https : http;
      let settled = false;
      const fail = (error: SourceError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(error);
      };
      const req = lib.request(
        url,
        {
          method: request.method,
          headers: { ...request.headers, ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}) },
          ...(secure && ca ? { ca } : {}),
          agent: false,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            // The body of an error is never used: stop reading it.
            res.resume();
            settled = true;
            clearTimeout(timer);
            resolve({ status, headers: res.headers, body: Buffer.alloc(0) });
            req.destroy();
            return;
          }
          const declared = Number(res.headers['content-length']);
          // A HEAD answer's Content-Length describes a body that is not sent.
          if (request.method !== 'HEAD' && Number.isFinite(declared) && declared > request.maxBytes) {
            fail(new SourceError('S3002', `${url.host} announced ${declared} bytes for ${url.pathname.slice(0, 200)}; the limit is ${request.maxBytes}`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > request.maxBytes) {
              fail(new SourceError('S3002', `${url.host} sent more than ${request.maxBytes} bytes for ${url.pathname.slice(0, 200)}`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ status, headers: res.headers, body: Buffer.concat(chunks) });
          });
          res.on('error', (error: NodeJS.ErrnoException) => fail(new SourceError('S2003', describeNetworkError(error, url))));
        },
      );
      const timer = setTimeout(() => fail(new SourceError('S2003', `${url.host} did not answer within ${request.timeoutMs} ms`)), request.timeoutMs);
      timer.unref();
      const { signal } = request;
      if (signal) {
        const abort = (): void => fail(abortReason(signal, url));
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
        req.once('close', () => signal.removeEventListener('abort', abort));
      }
      req.on('error', (error: NodeJS.ErrnoException) => fail(new SourceError('S2003', describeNetworkError(error, url))));
      if (request.body !== undefined) req.write(request.body);
      req.end();
    });
}
