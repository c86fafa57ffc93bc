import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { thrownCode, codeOf } from '../../test/support/error-codes.js';
import { BODY_READ_TIMEOUT_MS, checkContentEncoding, checkContentType, readJsonBodyText, type BodyLimits } from './json-body.js';

describe('checkContentType', () => {
  it.each(['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"', 'application/json ; Charset=utf-8 ; foo=bar'])(
    'accepts %s',
    (header) => {
      expect(() => checkContentType(header)).not.toThrow();
    },
  );

  it.each([undefined, '', 'text/plain', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json; charset=', 'application/json; charset=utf-8; charset=utf-16'])(
    'refuses %s with A4002',
    (header) => {
      expect(thrownCode(() => checkContentType(header))).toBe('A4002');
    },
  );
});

describe('checkContentEncoding', () => {
  it.each([undefined, '', 'identity', ' IDENTITY '])('accepts %s', (header) => {
    expect(() => checkContentEncoding(header)).not.toThrow();
  });

  it.each(['gzip', 'deflate', 'br', 'x-gzip', 'identity, gzip', 'identity,identity'])('refuses %s with A4010', (header) => {
    expect(thrownCode(() => checkContentEncoding(header))).toBe('A4010');
  });
});

describe('readJsonBodyText deadline', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  /** A server that reads each body with `limits` and reports what that read ended with. */
  async function reader(limits: BodyLimits): Promise<{ port: number; outcome: Promise<string> }> {
    let report: (outcome: string) => void = () => undefined;
    const outcome = new Promise<string>((resolve) => (report = resolve));
    server = createServer((req, res) => {
      readJsonBodyText(req, limits).then(
        () => report('read'),
        (error: unknown) => report(codeOf(error)),
      ).finally(() => res.end());
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, outcome };
  }

  it('is short: an API server sends the whole body at once', () => {
    expect(BODY_READ_TIMEOUT_MS).toBeLessThanOrEqual(10_000);
  });

  it('refuses a body that does not arrive in time with A4009', async () => {
    const { port, outcome } = await reader({ readTimeoutMs: 100 });
    const socket = connect(port, '127.0.0.1', () => socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{'));
    try {
      expect(await outcome).toBe('A4009');
    } finally {
      socket.destroy();
    }
  });

  it('reads a body that arrives in time', async () => {
    const { port, outcome } = await reader({ readTimeoutMs: 5_000 });
    const socket = connect(port, '127.0.0.1', () => socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'));
    try {
      expect(await outcome).toBe('read');
    } finally {
      socket.destroy();
    }
  });
});
