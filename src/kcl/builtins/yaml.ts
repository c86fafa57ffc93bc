/**
 * The `yaml` system module. encode/encode_all write through yaml-output.ts (the exact `kcl run`
 * style); decode/decode_all read with js-yaml, resolving plain scalars by serde_yaml 0.9's rules
 * as the reference does (YAML 1.2: `yes` and `2001-01-01` stay strings, `017` and `1_000` too,
 * `1e3` is a float, `0x10` an int) and keeping floats as floats. Duplicate keys: the last wins.
 * Known gap: js-yaml builds plain objects, so integer-like mapping keys come out first.
 */
import yaml from 'js-yaml';
import { renderYaml, renderYamlAll, type YamlOutputOptions } from '../yaml-output.js';
import { KDict, KFloat, KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';
import { sandboxRefusal } from './file.js';
import { parseRustFloat } from './numbers.js';
import { I64_MAX, I64_MIN, normInt } from '../int64.js';

const nullType = new yaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string) => s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL',
  construct: () => null,
});

const BOOLS: Record<string, boolean> = { true: true, True: true, TRUE: true, false: false, False: false, FALSE: false };
const boolType = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string) => s in BOOLS,
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

/** js-yaml output (with KFloat leaves) -> KCL values. */
function toValue(x: unknown): Value {
  if (x === null || x === undefined) return null;
  if (x instanceof KFloat) return x;
  if (typeof x === 'string' || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'bigint') return x;
  if (Array.isArray(x)) return x.map(toValue);
  const d = new KDict();
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) d.set(k, toValue(v));
  return d;
}

const LOAD_OPTIONS = { schema: SCHEMA, json: true } as const;

function load(a: Args, text: string): Value {
  try {
    return toValue(yaml.load(text, LOAD_OPTIONS));
  } catch (e) {
    throw a.fail(e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
}

function loadAll(a: Args, text: string): Value[] {
  try {
    const docs = yaml.loadAll(text, undefined, LOAD_OPTIONS).map(toValue);
    return docs.length === 0 ? [null] : docs;
  } catch (e) {
    throw a.fail(e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
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
      member('yaml', 'encode', encodeParams, (a) => renderYaml(a.need(0), outputOptions(a))),
      member('yaml', 'encode_all', encodeParams, (a) => renderYamlAll(a.list(0), outputOptions(a))),
      member('yaml', 'decode', ['value'], (a) => load(a, a.str(0))),
      member('yaml', 'decode_all', ['value'], (a) => loadAll(a, a.str(0))),
      member('yaml', 'validate', ['value'], (a) => {
        try {
          yaml.loadAll(a.str(0), undefined, LOAD_OPTIONS);
          return true;
        } catch {
          return false;
        }
      }),
      member('yaml', 'dump_to_file', [], sandboxRefusal, true),
      member('yaml', 'dump_all_to_file', [], sandboxRefusal, true),
    ]),
  );
}
