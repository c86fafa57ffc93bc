/**
 * `option(key, type=, required=, default=, help=)`: reads a value given to the run (kclguard's
 * `-D name=value`, or the admission request for policies) and converts it like the reference
 * (kcl-lib 0.13.2): `type="str"` accepts scalars only (`true` becomes "true"), `type="float"` of
 * a non-numeric string is 0.0, `type="bool"` of a container is Undefined, None is never
 * convertible, and `default=` goes through the same conversion.
 */
import { displayForMessage, formatFloatForOutput } from '../display.js';
import { KDict, KFloat, UNDEFINED, type Value } from '../value.js';
import { builtin, type Args } from './args.js';
import { parseRustFloat } from './numbers.js';
import { floatToInt, parseDecimalI64 } from '../int64.js';

function convert(v: Value, type: string, a: Args): Value {
  if (type === '') return v;
  const cannot = () => a.fail(`cannot use '${displayForMessage(v)}' as type '${type}'`);
  if (!['bool', 'int', 'float', 'str', 'list', 'dict'].includes(type)) throw a.fail(`unknown type '${type}'`);
  if (v === null || v === UNDEFINED) throw cannot();
  switch (type) {
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'bigint') return v !== 0n;
      if (v instanceof KFloat) return v.value !== 0;
      if (typeof v === 'string') return v === 'True' || v === 'true';
      return UNDEFINED;
    case 'int':
      if (typeof v === 'number' || typeof v === 'bigint') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (v instanceof KFloat) return floatToInt(v.value);
      if (typeof v === 'string' && /^[-+]?\d+$/.test(v)) {
        const n = parseDecimalI64(v);
        if (n !== undefined) return n;
      }
      throw cannot();
    case 'float':
      if (typeof v === 'number' || typeof v === 'bigint') return new KFloat(Number(v));
      if (typeof v === 'boolean') return new KFloat(v ? 1 : 0);
      if (v instanceof KFloat) return v;
      if (typeof v === 'string') return new KFloat(parseRustFloat(v) ?? 0);
      throw cannot();
    case 'str':
      if (typeof v === 'string') return v;
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      if (v instanceof KFloat) return formatFloatForOutput(v.value);
      throw cannot();
    case 'list':
      if (Array.isArray(v)) return v;
      throw cannot();
    default:
      if (v instanceof KDict) return v;
      throw cannot();
  }
}

export const optionBuiltin = builtin('option', ['key', 'type', 'required', 'default', 'help', 'file', 'line'], (a) => {
  const key = a.str(0);
  const type = a.optStr(1, '');
  const given = a.ctx.option(key);
  if (given !== undefined && given !== UNDEFINED) {
    // An explicit null (`-D x=null`) satisfies `required` but converts like any value.
    return given === null && type === '' ? null : convert(given, type, a);
  }
  if (a.bool(2, false)) throw a.fail(`option('${key}') must be initialized, try '-D ${key}=?' argument`);
  const fallback = a.get(3);
  return fallback === undefined ? null : convert(fallback, type, a);
});
