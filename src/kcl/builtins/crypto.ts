/**
 * The `crypto` system module: hex digests of a string's UTF-8 bytes (the `encoding` argument
 * is accepted and ignored, as only UTF-8 is meaningful), `uuid()` (random v4), and the file
 * digests refused by the sandbox.
 */
import { createHash, randomUUID } from 'node:crypto';
import { stepsForChars } from '../budget.js';
import { KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';
import { blake3Hex } from './blake3.js';
import { sandboxRefusal } from './file.js';

function digest(algorithm: string) {
  return (a: Args): string => createHash(algorithm).update(a.str(0), 'utf8').digest('hex');
}

export function cryptoModule(): KModule {
  const params = ['value', 'encoding'];
  return new KModule(
    'crypto',
    new Map<string, Value>([
      member('crypto', 'md5', params, digest('md5')),
      member('crypto', 'sha1', params, digest('sha1')),
      member('crypto', 'sha224', params, digest('sha224')),
      member('crypto', 'sha256', params, digest('sha256')),
      member('crypto', 'sha384', params, digest('sha384')),
      member('crypto', 'sha512', params, digest('sha512')),
      member('crypto', 'blake3', params, (a) => {
        // BLAKE3 runs in JavaScript, byte by byte: charged per character, not as a scan.
        const bytes = Buffer.from(a.str(0), 'utf8');
        a.ctx.step(stepsForChars(bytes.length));
        return blake3Hex(bytes);
      }),
      member('crypto', 'uuid', [], () => randomUUID()),
      member('crypto', 'filesha256', [], sandboxRefusal, true),
      member('crypto', 'filesha512', [], sandboxRefusal, true),
      member('crypto', 'fileblake3', [], sandboxRefusal, true),
    ]),
  );
}
