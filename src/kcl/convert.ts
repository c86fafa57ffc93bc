/**
 * Crossing between KCL values and plain JavaScript data (JSON): options and admission objects
 * come in through toKcl; results leave through toPlain.
 */
import { KDict, KFloat, KFunction, KModule, KUnit, SchemaInstance, UNDEFINED, isSchemaType, type Value } from './value.js';

/**
 * JSON data -> KCL value. Objects become KDicts in key order, integral numbers ints, other
 * numbers floats. `undefined` members are skipped, as JSON would.
 */
export function toKcl(json: unknown): Value {
  if (json === null || json === undefined) return null;
  switch (typeof json) {
    case 'string':
    case 'boolean':
      return json;
    case 'number':
      return Number.isInteger(json) ? json : new KFloat(json);
    case 'bigint':
      return Number(json);
  }
  if (Array.isArray(json)) return json.map(toKcl);
  if (typeof json === 'object') {
    const d = new KDict();
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      if (v !== undefined) d.set(k, toKcl(v));
    }
    return d;
  }
  return null;
}

export interface PlainOptions {
  /** Keep `_`-prefixed keys of dicts and schema instances (the reference's show_hidden);
   *  by default they are hidden at every level, as `kcl run` does. */
  readonly showHidden?: boolean;
  /** Drop None values inside dicts and lists (the reference's disable_none). */
  readonly dropNone?: boolean;
}

/**
 * KCL value -> plain JSON-compatible data. Dicts and schema instances become objects in
 * insertion order; floats and unit numbers numbers (a unit number is the quantity it stands
 * for, `1Gi` -> 1073741824, as the reference outputs it); Undefined entries, functions and
 * `_`-prefixed keys are dropped. Note the float/int distinction is lost (`1.0` -> 1); the YAML renderer works on
 * values directly to keep it.
 */
export function toPlain(v: Value, opts: PlainOptions = {}): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (v === UNDEFINED) return undefined;
  if (v instanceof KFloat) return v.value;
  if (v instanceof KUnit) return v.value * v.multiplier;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) {
      if (isDropped(item, opts)) continue;
      out.push(toPlain(item, opts));
    }
    return out;
  }
  if (v instanceof KDict || v instanceof SchemaInstance) {
    const entries = v instanceof KDict ? v.entries : v.attrs;
    const out: Record<string, unknown> = {};
    for (const [k, item] of entries) {
      if (isDropped(item, opts)) continue;
      if (!opts.showHidden && k.startsWith('_')) continue;
      out[k] = toPlain(item, opts);
    }
    return out;
  }
  return undefined;
}

/** Values that never reach output: Undefined, functions, types, modules (and None when asked). */
export function isDropped(v: Value, opts: PlainOptions = {}): boolean {
  return (
    v === UNDEFINED ||
    v instanceof KFunction ||
    v instanceof KModule ||
    isSchemaType(v) ||
    (v === null && opts.dropNone === true)
  );
}
