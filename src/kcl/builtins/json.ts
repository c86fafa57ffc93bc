/**
 * The `json` system module, plus the JSON text form shared with `${x: #json}`.
 *
 * encode follows the reference (kcl-lib 0.13.2): `", "` and `": "` separators, `indent=N`
 * (N > 0) for pretty output, floats in ryu form with `e+` exponents (`1e+20`), unit numbers as
 * their float quantity, Undefined and functions left out, `sort_keys`, `ignore_private` and
 * `ignore_none` applied at every level. decode keeps key order (integer-like keys included)
 * and the int/float distinction of the text (`1.0` stays a float), which JSON.parse cannot.
 */
import { formatFloatForOutput } from '../display.js';
import { compareStrings } from '../compare.js';
import { isDropped } from '../convert.js';
import { KDict, KFloat, KModule, KUnit, SchemaInstance, type Value } from '../value.js';
import { member, type Args } from './args.js';
import { sandboxRefusal } from './file.js';
import { I64_MAX, I64_MIN, normInt } from '../int64.js';

export interface JsonEncodeOptions {
  readonly sortKeys?: boolean;
  readonly indent?: number;
  readonly ignorePrivate?: boolean;
  readonly ignoreNone?: boolean;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function scalarJson(v: Value): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return quote(v);
  if (v instanceof KFloat) return Number.isFinite(v.value) ? formatFloatForOutput(v.value, true) : 'null';
  if (v instanceof KUnit) return formatFloatForOutput(v.value * v.multiplier, true);
  return undefined;
}

/** A value as JSON text, the way `json.encode` writes it. */
export function encodeJson(v: Value, opts: JsonEncodeOptions = {}): string {
  const indent = opts.indent && opts.indent > 0 ? opts.indent : 0;
  const keep = (x: Value) => !isDropped(x, { dropNone: opts.ignoreNone });
  const walk = (x: Value, depth: number): string => {
    const scalar = scalarJson(x);
    if (scalar !== undefined) return scalar;
    let parts: string[];
    let open: string;
    let close: string;
    if (Array.isArray(x)) {
      parts = x.filter(keep).map((item) => walk(item, depth + 1));
      [open, close] = ['[', ']'];
    } else if (x instanceof KDict || x instanceof SchemaInstance) {
      let entries = [...(x instanceof KDict ? x.entries : x.attrs)].filter(
        ([k, item]) => keep(item) && !(opts.ignorePrivate && k.startsWith('_')),
      );
      if (opts.sortKeys) entries = entries.sort((p, q) => compareStrings(p[0], q[0]));
      parts = entries.map(([k, item]) => `${quote(k)}: ${walk(item, depth + 1)}`);
      [open, close] = ['{', '}'];
    } else {
      return 'null';
    }
    if (parts.length === 0) return open + close;
    if (!indent) return open + parts.join(', ') + close;
    const pad = ' '.repeat(indent * (depth + 1));
    return `${open}\n${pad}${parts.join(`,\n${pad}`)}\n${' '.repeat(indent * depth)}${close}`;
  };
  return walk(v, 0);
}

/** Thrown by decodeJson with a serde_json-like message. */
export class JsonSyntaxError extends Error {}

/** Parses JSON text into KCL values (key order and int/float kept). */
export function decodeJson(text: string): Value {
  let i = 0;
  const where = () => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    return `at line ${line} column ${i - before.lastIndexOf('\n')}`;
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} ${where()}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = (): Value => {
    ws();
    if (i >= text.length) fail('EOF while parsing a value');
    const c = text[i];
    if (c === '{') {
      i++;
      const d = new KDict();
      ws();
      if (text[i] === '}') {
        i++;
        return d;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('key must be a string');
        const k = string();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        d.set(k, value());
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('trailing comma');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return d;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const list: Value[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return list;
      }
      for (;;) {
        list.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('trailing comma');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return list;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) return fail('expected value');
    i += m[0].length;
    const n = Number(m[0]);
    if (m[2] === undefined && m[3] === undefined && !Object.is(n, -0)) {
      if (Number.isSafeInteger(n)) return n;
      // Exact within i64; beyond it the reference (serde_json) reads a float.
      const exact = BigInt(m[0]);
      if (exact >= I64_MIN && exact <= I64_MAX) return normInt(exact);
    }
    return new KFloat(n);
  };
  const string = (): string => {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) {
        i = start;
        fail('EOF while parsing a string');
      }
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail('invalid escape');
        }
        continue;
      }
      if (c < ' ') fail('control character (\\u0000-\\u001F) found while parsing a string');
      out += c;
      i++;
    }
  };
  const result = value();
  ws();
  if (i < text.length) fail('trailing characters');
  return result;
}

function encodeOptions(a: Args): JsonEncodeOptions {
  const indent = a.get(2);
  // Every nested line repeats the indent: a huge one is refused before it is built.
  if (typeof indent === 'number') a.ctx.checkSize(indent);
  return {
    sortKeys: a.bool(1, false),
    indent: typeof indent === 'number' ? indent : 0,
    ignorePrivate: a.bool(3, false),
    ignoreNone: a.bool(4, false),
  };
}

function decode(a: Args): Value {
  try {
    return decodeJson(a.str(0));
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw a.fail(e.message);
    throw e;
  }
}

export function jsonModule(): KModule {
  return new KModule(
    'json',
    new Map<string, Value>([
      member('json', 'encode', ['data', 'sort_keys', 'indent', 'ignore_private', 'ignore_none'], (a) =>
        encodeJson(a.need(0), encodeOptions(a)),
      ),
      member('json', 'decode', ['value'], decode),
      member('json', 'validate', ['value'], (a) => {
        try {
          decodeJson(a.str(0));
          return true;
        } catch (e) {
          if (e instanceof JsonSyntaxError) return false;
          throw e;
        }
      }),
      member('json', 'dump_to_file', [], sandboxRefusal, true),
    ]),
  );
}
