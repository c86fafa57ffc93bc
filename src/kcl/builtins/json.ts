/**
 * The `json` system module, plus the JSON text form shared with `${x: #json}`.
 *
 * encode follows the reference (kcl-lib 0.13.2): `", "` and `": "` separators, `indent=N`
 * (N > 0) for pretty output, floats in ryu form with `e+` exponents (`1e+20`), unit numbers as
 * their float quantity, Undefined and functions left out, `sort_keys`, `ignore_private` and
 * `ignore_none` applied at every level. decode keeps key order (integer-like keys included)
 * and the int/float distinction of the text (`1.0` stays a float), which JSON.parse cannot.
 */
import { unlimitedText, type TextBudget } from '../budget.js';
import { formatFloatForOutput } from '../display.js';
import { compareStrings } from '../compare.js';
import { isDropped } from '../convert.js';
import { KDict, KFloat, KModule, KUnit, SchemaInstance, UNDEFINED, type Value } from '../value.js';
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

/**
 * A value as JSON text, the way `json.encode` writes it. The text is measured while it is
 * written: past the budget's limit it stops with K9004 before the oversized text exists.
 */
export function encodeJson(v: Value, opts: JsonEncodeOptions = {}, budget: TextBudget = unlimitedText()): string {
  const indent = opts.indent && opts.indent > 0 ? opts.indent : 0;
  const keep = (x: Value) => !isDropped(x, { dropNone: opts.ignoreNone });
  const out: string[] = [];
  const emit = (piece: string): void => {
    budget.add(piece.length);
    out.push(piece);
  };
  /** The line break and padding before an item at `depth` (nothing without indent). */
  const newline = (depth: number): void => {
    if (!indent) return;
    // Counted before the padding exists: a huge indent stops here, not in String.repeat.
    budget.add(1 + indent * depth);
    out.push(`\n${' '.repeat(indent * depth)}`);
  };
  const walk = (x: Value, depth: number): void => {
    budget.node();
    const scalar = scalarJson(x);
    if (scalar !== undefined) return emit(scalar);
    if (Array.isArray(x)) {
      emit('[');
      let first = true;
      for (const item of x) {
        if (!keep(item)) continue;
        if (!first) emit(indent ? ',' : ', ');
        first = false;
        newline(depth + 1);
        walk(item, depth + 1);
      }
      if (!first) newline(depth);
      return emit(']');
    }
    if (x instanceof KDict || x instanceof SchemaInstance) {
      let entries: Iterable<[string, Value]> = x instanceof KDict ? x.entries : x.attrs;
      if (opts.sortKeys) {
        const sorted = [...entries];
        budget.work(sorted.length);
        entries = sorted.sort((p, q) => compareStrings(p[0], q[0]));
      }
      emit('{');
      let first = true;
      for (const [k, item] of entries) {
        if (!keep(item) || (opts.ignorePrivate && k.startsWith('_'))) continue;
        if (!first) emit(indent ? ',' : ', ');
        first = false;
        newline(depth + 1);
        emit(`${quote(k)}: `);
        walk(item, depth + 1);
      }
      if (!first) newline(depth);
      return emit('}');
    }
    emit('null');
  };
  walk(v, 0);
  return out.join('');
}

/** A JSON number at a position (sticky: it never scans past the number). */
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
/** Characters a JSON string holds as they are. */
const PLAIN_RUN = /[^"\\\u0000-\u001f]+/y;

/** Thrown by decodeJson with a serde_json-like message. */
export class JsonSyntaxError extends Error {}

/** serde_json's recursion limit, which the reference hits at the 128th nested container. */
const MAX_NESTING = 127;

/** Where decodeJson charges its work: a step per value, each container built with its own heap. */
export interface DecodeMeter {
  step(n?: number): void;
  checkContainer(kind: 'list' | 'dict', size: number): void;
}

/**
 * Parses JSON text into KCL values (key order and int/float kept), with the reference's
 * nesting limit; every value costs a step and every container, empty ones included, is charged
 * with its heap (containerBytes) as it is completed, so text of many small containers ends on
 * the allocation budget (K9004) rather than on the heap.
 */
export function decodeJson(text: string, meter?: DecodeMeter): Value {
  let i = 0;
  let depth = 0;
  // Elements of the lists being read, innermost last: each list is copied out at its exact size
  // (a list grown by push() keeps up to 16 spare slots: `[0]` took 190 bytes instead of 56).
  const pending: Value[] = [];
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
    meter?.step(1);
    if ((c === '{' || c === '[') && depth++ >= MAX_NESTING) fail('recursion limit exceeded');
    if (c === '{') {
      i++;
      const d = new KDict();
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
        meter?.checkContainer('dict', 0);
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
          depth--;
          meter?.checkContainer('dict', d.size);
          return d;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
        meter?.checkContainer('list', 0);
        return [];
      }
      const first = pending.length;
      for (;;) {
        pending.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('trailing comma');
          continue;
        }
        if (text[i] === ']') {
          i++;
          depth--;
          meter?.checkContainer('list', pending.length - first);
          const list = pending.slice(first);
          pending.length = first;
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
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('expected value');
    i += m[0].length;
    const n = Number(m[0]);
    if (m[2] === undefined && m[3] === undefined && !Object.is(n, -0)) {
      if (Number.isSafeInteger(n)) return n;
      // Beyond 20 characters (19 digits and a sign, no leading zeros in JSON) an integer is
      // outside i64 whatever it is: no BigInt of a million digits.
      if (m[0].length > 20) return new KFloat(n);
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
      // The run of plain characters up to the next quote, backslash or control character, in
      // one piece rather than a concatenation per character.
      PLAIN_RUN.lastIndex = i;
      PLAIN_RUN.test(text);
      out += text.slice(i, PLAIN_RUN.lastIndex);
      i = PLAIN_RUN.lastIndex;
    }
  };
  const result = value();
  ws();
  if (i < text.length) fail('trailing characters');
  return result;
}

function encodeOptions(a: Args): JsonEncodeOptions {
  const indent = a.get(2);
  return {
    sortKeys: a.bool(1, false),
    indent: typeof indent === 'number' ? indent : 0,
    ignorePrivate: a.bool(3, false),
    ignoreNone: a.bool(4, false),
  };
}

function decode(a: Args): Value {
  const text = a.str(0);
  // The strings decoded are at most the text: charged once, up front.
  a.ctx.checkBytes(text.length);
  try {
    return decodeJson(text, a.ctx);
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
        encodeJson(a.need(0), encodeOptions(a), a.ctx.textBudget('json.encode output')),
      ),
      member('json', 'decode', ['value'], decode),
      member('json', 'validate', ['value'], (a) => {
        // None and Undefined are not JSON text: false, as in the reference (not an error).
        const v = a.get(0);
        if (v === null || v === UNDEFINED) return false;
        try {
          decodeJson(a.str(0), a.ctx);
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
