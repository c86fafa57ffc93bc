/** The `base64` system module: standard alphabet, padding optional on decode, UTF-8 text. */
import { displayForMessage } from '../display.js';
import { KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decoded bytes as UTF-8 text; invalid UTF-8 is an error, as in the reference. */
export function utf8Text(a: Args, bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw a.fail('decoded bytes are not valid UTF-8');
  }
}

function decode(a: Args): string {
  const text = a.str(0);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw a.fail(`invalid base64 input '${displayForMessage(text)}'`);
  }
  return utf8Text(a, Buffer.from(text, 'base64'));
}

export function base64Module(): KModule {
  return new KModule(
    'base64',
    new Map<string, Value>([
      member('base64', 'encode', ['value', 'encoding'], (a) => Buffer.from(a.str(0), 'utf8').toString('base64')),
      member('base64', 'decode', ['value', 'encoding'], decode),
    ]),
  );
}
