/** The `base32` system module: RFC 4648 alphabet; decode accepts lower case and missing padding. */
import { stepsForChars } from '../budget.js';
import { displayForMessage } from '../display.js';
import { KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';
import { utf8Text } from './base64.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

export function base32Decode(text: string): Uint8Array | undefined {
  // Trailing padding is cut by a scan from the end: /=+$/ retries from every "=" of a run
  // that does not end the text (quadratic in the run).
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  const body = text.slice(0, end).toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of body) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

export function base32Module(): KModule {
  return new KModule(
    'base32',
    new Map<string, Value>([
      member('base32', 'encode', ['value'], (a) => {
        // Encoded character by character in JavaScript: charged per character, not as a scan.
        a.ctx.step(stepsForChars(a.str(0).length));
        return base32Encode(Buffer.from(a.str(0), 'utf8'));
      }),
      member('base32', 'decode', ['value'], (a: Args) => {
        a.ctx.step(stepsForChars(a.str(0).length));
        const bytes = base32Decode(a.str(0));
        // Cut short like every value in a message: the input may be megabytes.
        if (!bytes) throw a.fail(`invalid base32 input '${displayForMessage(a.str(0))}'`);
        return utf8Text(a, bytes);
      }),
    ]),
  );
}
