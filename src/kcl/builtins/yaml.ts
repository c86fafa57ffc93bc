/**
 * The `yaml` system module. encode/encode_all write through yaml-output.ts (the exact `kcl run`
 * style); decode/decode_all read with js-yaml, resolving plain scalars by serde_yaml 0.9's rules
 * as the reference does (YAML 1.2: `yes` and `2001-01-01` stay strings, `017` and `1_000` too,
 * `1e3` is a float, `0x10` an int) and keeping floats as floats. Duplicate keys: the last wins.
 * Known gap: js-yaml builds plain objects, so integer-like mapping keys come out first.
 */
import yaml from 'js-yaml';
import { renderYaml, renderYamlAll, type YamlOutputOptions } from '../yaml-output.js';
import { KDict, KFloat, KModule, UNDEFINED, type Value } from '../value.js';
import { member, type Args } from './args.js';
import { sandboxRefusal } from './file.js';
import { parseRustFloat } from './numbers.js';
import { I64_MAX, I64_MIN, normInt } from '../int64.js';
import { stepsForBytes } from '../budget.js';
import { KclError } from '../diagnostics.js';

const nullType = new yaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string) => s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL',
  construct: () => null,
});

const BOOLS: Record<string, boolean> = { true: true, True: true, TRUE: true, false: false, False: false, FALSE: false };
const boolType = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  // Own keys only: `in` would read `constructor` or `__proto__` as a bool and hand the program
  // Object.prototype's members as values.
  resolve: (s: string) => Object.hasOwn(BOOLS, s),
  construct: (s: string) => BOOLS[s],
});

/** serde_yaml's digits_but_not_number: a leading zero makes digits a string (YAML 1.2). */
function leadingZeroDigits(s: string): boolean {
  const body = s.replace(/^[-+]/, '');
  return body.length > 1 && body.startsWith('0') && /^\d+$/.test(body);
}

function parseYamlInt(s: string): number | bigint | undefined {
  const m = /^([-+]?)(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|\d+)$/.exec(s);
  if (!m || leadingZeroDigits(s)) return undefined;
  const body = m[2];
  const n = body.startsWith('0o') ? parseInt(body.slice(2), 8) : Number(body);
  if (Number.isSafeInteger(n)) return m[1] === '-' ? -n : n;
  // More than 64 significant digits is outside i64 in any base: no BigInt of a million digits.
  const digits = /^0[xob]/.test(body) ? body.slice(2) : body;
  if (digits.length - (/^0*/.exec(digits)![0].length) > 64) return undefined;
  // Exact within i64; beyond it the reference reads a float (the float type picks it up).
  const exact = m[1] === '-' ? -BigInt(body) : BigInt(body);
  return exact >= I64_MIN && exact <= I64_MAX ? normInt(exact) : undefined;
}

const intType = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string) => parseYamlInt(s) !== undefined,
  construct: (s: string) => parseYamlInt(s),
});

function parseYamlFloat(s: string): number | undefined {
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(s)) return NaN;
  if (leadingZeroDigits(s)) return undefined;
  const f = parseRustFloat(s.replace(/^\+(?=[^+-])/, ''));
  return f !== undefined && Number.isFinite(f) ? f : undefined;
}

const floatType = new yaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string) => parseYamlFloat(s) !== undefined,
  construct: (s: string) => new KFloat(parseYamlFloat(s)!),
  instanceOf: KFloat,
});

const SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });

/**
 * serde_yaml's limits, which the reference applies while it builds the value: nesting deeper
 * than 127 collections is "recursion limit exceeded", and expanding aliases more than 100 times
 * per event of the document is "repetition limit exceeded" (both E3M38 there and here).
 */
const MAX_NESTING = 127;
const ALIAS_EXPANSIONS_PER_EVENT = 100;

/**
 * js-yaml output -> KCL values. js-yaml shares one object for an anchor and all its aliases;
 * this walk expands them, so it is where a "billion laughs" document would explode: it counts
 * alias expansions (serde_yaml's rule above), charges a step per value and each list and dict
 * with its heap (checkContainer) to the run (K9001/K9003/K9004 before memory runs out).
 */
class YamlValues {
  private readonly visited = new Set<object>();
  private expansions = 0;

  constructor(
    private readonly a: Args,
    private readonly events: number,
  ) {}

  value(x: unknown, depth: number): Value {
    if (x === null || x === undefined) return null;
    if (x instanceof KFloat) return x;
    if (typeof x !== 'object') return x as Value;
    if (depth >= MAX_NESTING) throw this.a.fail('recursion limit exceeded');
    if (this.visited.has(x)) {
      if (++this.expansions > this.events * ALIAS_EXPANSIONS_PER_EVENT) throw this.a.fail('repetition limit exceeded');
    } else {
      this.visited.add(x);
    }
    const ctx = this.a.ctx;
    if (Array.isArray(x)) {
      ctx.checkContainer('list', x.length);
      ctx.step(x.length + 1);
      const out: Value[] = new Array(x.length);
      for (let i = 0; i < x.length; i++) out[i] = this.value(x[i], depth + 1);
      return out;
    }
    const keys = Object.keys(x);
    ctx.checkContainer('dict', keys.length);
    ctx.step(keys.length + 1);
    const d = new KDict();
    for (const k of keys) d.set(k, this.value((x as Record<string, unknown>)[k], depth + 1));
    return d;
  }
}

// js-yaml's own nesting limit (100) is below the reference's: the conversion applies that one.
const LOAD_OPTIONS = { schema: SCHEMA, json: true, maxDepth: 1000 } as const;

/**
 * What js-yaml may copy of an alias's value: a string's characters; a sequence's members as a
 * key would join them (nested sequences are refused there, a mapping becomes 15 characters); a
 * mapping's keys, as a merge (`<<`) copies them. Shallow, and memoized per object: the deep
 * expansion is the conversion's to charge, after the reference's repetition rule (YamlValues).
 */
function copiedChars(x: unknown, sizes: Map<object, number>): number {
  if (typeof x === 'string') return x.length;
  if (typeof x !== 'object' || x === null) return 16;
  const known = sizes.get(x);
  if (known !== undefined) return known;
  let size = 2;
  if (Array.isArray(x)) for (const item of x) size += (typeof item === 'string' ? item.length : 16) + 1;
  else for (const key of Object.keys(x)) size += key.length + 16;
  sizes.set(x, size);
  return size;
}

/*
 * js-yaml's tree is alive until the conversion is done, so its nodes are charged to the
 * allocation budget as the parser closes them, before the KCL values are (measured: budget.ts):
 * 400,000 `{}` (1.2 MB of text) filled a worker's 128 MiB heap with the two trees.
 */
/** A scalar node: the string's header and its slot in the parent (34 bytes measured); its text is charged up front. */
const YAML_SCALAR_BYTES = 32;
/** A mapping's own object (66 bytes measured with one key). */
const YAML_MAPPING_BYTES = 64;
/** Each key of a mapping, besides the key's scalar node (88 bytes per key measured in a large one). */
const YAML_KEY_BYTES = 64;

/** A sequence js-yaml grew by push(): 48 bytes of its own, 8 per slot, V8 keeping up to 1.5 x + 16 slots. */
function yamlSequenceBytes(length: number): number {
  return 48 + (length === 0 ? 0 : 8 * (length + (length >> 1) + 16));
}

/** What a node js-yaml has just built holds on the heap (an alias holds nothing new: see copiedChars). */
function yamlNodeBytes(kind: string | null, result: unknown): number {
  if (kind === 'scalar') return YAML_SCALAR_BYTES;
  if (kind === 'sequence' && Array.isArray(result)) return yamlSequenceBytes(result.length);
  if (kind === 'mapping' && typeof result === 'object' && result !== null) return YAML_MAPPING_BYTES + YAML_KEY_BYTES * Object.keys(result).length;
  return 0;
}

/** Parses a YAML stream and converts its documents within the run's budgets. */
function parseDocuments(a: Args, text: string): Value[] {
  // Parsing is linear in the text, the text charged up front, except for aliases: js-yaml shares
  // the anchored value, but a sequence used as a mapping key becomes one string (each alias in it
  // copied: a 105 KB document made a 150-million-character key and took the whole process past
  // its heap limit, a worker's cap notwithstanding), and a merge key copies the mapping's keys.
  // Every alias is therefore charged with what js-yaml may copy of it as the parser reads it.
  a.ctx.step(stepsForBytes(text.length));
  a.ctx.checkBytes(text.length);
  let events = 0;
  const aliases = a.ctx.textBudget('YAML alias expansion');
  const sizes = new Map<object, number>();
  const listener = (kind: string, state: { kind: string | null; result: unknown }): void => {
    if (kind === 'open') events++;
    // An alias node is the one that closes with content but no kind of its own.
    else if (state.kind === null && state.result !== null && state.result !== undefined) aliases.add(copiedChars(state.result, sizes));
    else a.ctx.allocate(yamlNodeBytes(state.kind, state.result));
  };
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text, undefined, { ...LOAD_OPTIONS, listener });
  } catch (e) {
    // A budget the listener charged (K9001/K9003/K9004) stays what it is.
    if (e instanceof KclError) throw e;
    throw a.fail(e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
  // serde_yaml counts a collection's start and end events; js-yaml opens each node once.
  const values = new YamlValues(a, events * 2);
  return docs.map((d) => values.value(d, 0));
}

function load(a: Args, text: string): Value {
  const docs = parseDocuments(a, text);
  if (docs.length > 1) throw a.fail('deserializing from YAML containing more than one document is not supported');
  return docs.length === 0 ? null : docs[0]!;
}

function loadAll(a: Args, text: string): Value[] {
  const docs = parseDocuments(a, text);
  return docs.length === 0 ? [null] : docs;
}

/** yaml.encode's keyword options in yaml-output terms. */
function outputOptions(a: Args): YamlOutputOptions {
  return { sortKeys: a.bool(1, false), showHidden: !a.bool(2, false), disableNone: a.bool(3, false) };
}

/** The text of `${x: #yaml}` and `yaml.encode(x)`. */
export function encodeYaml(v: Value, opts: YamlOutputOptions = { showHidden: true }): string {
  return renderYaml(v, opts);
}

export function yamlModule(): KModule {
  const encodeParams = ['data', 'sort_keys', 'ignore_private', 'ignore_none'];
  return new KModule(
    'yaml',
    new Map<string, Value>([
      member('yaml', 'encode', encodeParams, (a) => renderYaml(a.need(0), outputOptions(a), a.ctx.textBudget('yaml.encode output'))),
      member('yaml', 'encode_all', encodeParams, (a) =>
        renderYamlAll(a.list(0), outputOptions(a), a.ctx.textBudget('yaml.encode_all output')),
      ),
      member('yaml', 'decode', ['value'], (a) => load(a, a.str(0))),
      member('yaml', 'decode_all', ['value'], (a) => loadAll(a, a.str(0))),
      member('yaml', 'validate', ['value'], (a) => {
        // Valid means it decodes, within the same limits (a bomb is not valid YAML here either).
        // None and Undefined read as an empty document, valid in the reference.
        const v = a.get(0);
        if (v === null || v === UNDEFINED) return true;
        try {
          parseDocuments(a, a.str(0));
          return true;
        } catch (e) {
          if (e instanceof KclError && e.diagnostic.code.startsWith('K9')) throw e;
          return false;
        }
      }),
      member('yaml', 'dump_to_file', [], sandboxRefusal, true),
      member('yaml', 'dump_all_to_file', [], sandboxRefusal, true),
    ]),
  );
}
