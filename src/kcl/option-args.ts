/**
 * `-D name=value`: the value of a top-level argument (read with `option("name")`), parsed the
 * way the reference does it in two steps:
 *
 * 1. its command line (kcl_driver `parse_key_value_pair`) splits `name=value` at `=` — exactly
 *    one `=`, neither side blank — and turns the value into JSON text: valid JSON stays as it is
 *    (except a number written with an exponent, `1e3`, which becomes a string); the KCL name
 *    constants `True`, `False`, `None`, `Undefined` become `true`, `false`, `null`, `null`;
 *    anything else becomes a JSON string of the text;
 * 2. its runtime reads that JSON (serde_json): ints exact within i64 (bigints beyond 2^53),
 *    larger ones floats, `-0` the float -0.0, objects keep their key order.
 *
 * So `-D a=False` is the bool False, `-D n=3` the int 3, `-D l=[1,2]` a list, `-D s=hello` and
 * `-D m={a: 1}` (YAML, not JSON) strings. test/cli/fixtures/option-args.golden.json holds what
 * the reference's runtime gives for a table of inputs (scripts/capture-option-args.py).
 */
import { decodeJson } from './builtins/json.js';
import { KFloat, UNDEFINED, type Value } from './value.js';

export type OptionArgument =
  | { readonly ok: true; readonly name: string; readonly value: Value }
  | { readonly ok: false; readonly message: string };

const NAME_CONSTANTS: ReadonlyMap<string, Value> = new Map<string, Value>([['True', true], ['False', false], ['None', null], ['Undefined', null]]);

/** `12e1`, `1.5E-3`: a number with an exponent, which the reference's CLI keeps as a string. */
function looksLikeScientific(text: string): boolean {
  const s = text.trim();
  const parts = s.split(/[eE]/);
  if (parts.length !== 2) return false;
  const [base, exponent] = parts as [string, string];
  return /^[+-]?(\d+(?:\.\d*)?|\.\d+)$/.test(base) && /^[+-]?\d+$/.test(exponent);
}

function isNumber(v: Value): boolean {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof KFloat;
}

/** The value of `-D name=<text>`, as the reference gives it to `option("name")`. */
export function optionValue(text: string): Value {
  let json: Value | typeof UNDEFINED = UNDEFINED;
  try {
    json = decodeJson(text);
  } catch {
    // not JSON: a KCL name constant or a plain string
  }
  if (json !== UNDEFINED) return isNumber(json) && looksLikeScientific(text) ? text : json;
  const constant = NAME_CONSTANTS.get(text.trim());
  return constant === undefined ? text : constant;
}

/** Parses one `name=value` argument; the message of a malformed one is the reference's. */
export function parseOptionArgument(spec: string): OptionArgument {
  const parts = spec.split('=');
  if (parts.length !== 2 || parts[0]!.trim() === '' || parts[1]!.trim() === '') {
    return { ok: false, message: `invalid value for top level arguments: '${spec}' (expected name=value with a single '=')` };
  }
  return { ok: true, name: parts[0]!, value: optionValue(parts[1]!) };
}
