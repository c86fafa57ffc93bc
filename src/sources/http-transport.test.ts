// The bounded HTTP exchange against a real local server: a body above the limit is cut off (by
// Content-Length before reading, or while streaming), a silent server hits the deadline, and an
// error answer's body is never read.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SourceError } from './errors.js';
import { nodeTransport } from './http-transport.js';

let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).end();
      return;
    }
    if (req.url === '/declared') {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
      return; // never finishes: the client must not wait for it
    }
    if (req.url === '/endless') {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = (): void => {
        while (res.write(chunk)) {
          /* keep writing until the client stops reading */
        }
        res.once('drain', pump);
      };
      pump();
      res.on('close', () => res.removeAllListeners('drain'));
      return;
    }
    if (req.url === '/silent') return;
    if (req.url === '/error') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('secret stack trace');
      return;
    }
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

const transport = nodeTransport();

async function codeOf(path: string, maxBytes = 1024, timeoutMs = 5000): Promise<string | undefined> {
  try {
    await transport({ url: new URL(path, base), method: 'GET', headers: {}, maxBytes, timeoutMs });
    return undefined;
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    return error.code;
  }
}

describe('nodeTransport', () => {
  it('reads a small answer', async () => {
    const response = await transport({ url: new URL('/ok', base), method: 'GET', headers: {}, maxBytes: 10, timeoutMs: 5000 });
    expect(response.body.toString()).toBe('ok');
  });

  it('refuses a Content-Length above the limit, and stops reading an endless body at the limit (S3002)', async () => {
    expect(await codeOf('/declared')).toBe('S3002');
    expect(await codeOf('/endless', 256 * 1024)).toBe('S3002');
  });

  it('gives up on a server that never answers (S2003), and on a refused connection', async () => {
    expect(await codeOf('/silent', 1024, 200)).toBe('S2003');
    const closed = nodeTransport();
    await expect(closed({ url: new URL('http://127.0.0.1:1/'), method: 'GET', headers: {}, maxBytes: 10, timeoutMs: 5000 })).rejects.toMatchObject({ code: 'S2003' });
  });

  it('takes the Content-Length of a HEAD answer as the size of a body that is not sent', async () => {
    const answer = await transport({ url: new URL('/blob', base), method: 'HEAD', headers: {}, maxBytes: 0, timeoutMs: 5000 });
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(0);
  });

  it('ends an exchange when its signal fires, with the signal\'s reason', async () => {
    const reason = new SourceError('S2003', 'deadline of the check');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    await expect(transport({ url: new URL('/silent', base), method: 'GET', headers: {}, maxBytes: 1024, timeoutMs: 5000, signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('returns the status of an error answer without its body', async () => {
    const response = await transport({ url: new URL('/error', base), method: 'GET', headers: {}, maxBytes: 1024, timeoutMs: 5000 });
    expect(response.status).toBe(500);
    expect(response.body.length).toBe(0);
  });
});
