/**
 * JSON <-> KCL conversion shared by the policies of one request. Without it every policy
 * converted the whole admitted object (twice: `items` and `resource_list.items`), the request
 * view, its params and its manifest into KCL, and every export back to JSON, then deep-compared
 * the result with its input: with 50 policies that was most of the engine's own time.
 *
 * The memo pairs each plain object or array with the KCL value it converts to, both ways. The
 * interpreter never mutates a value it was given (it copies on write), so the value a policy
 * returns unchanged — or an unchanged subtree of a mutated object — is the very KDict that went
 * in, and converts back to the very plain object that went in: an unchanged object is seen as
 * unchanged by identity, and the next policy gets the KCL value without converting again.
 *
 * A pair is only recorded when converting one side gives exactly the other, so that reuse is
 * indistinguishable from converting afresh with toKcl / toPlain(showHidden). Not recorded:
 * subtrees holding values toPlain drops or changes (Undefined, functions, schema instances,
 * unit numbers, floats with integral values, ints beyond 2^53), `undefined` members,
 * integer-like keys (a JS object reorders them) and objects that are not plain.
 */
import { isDropped, toKcl, toPlain, type PlainOptions, KDict, KFloat, type Value } from '../kcl/index.js';
import { setOwn } from './json-data.js';

const SHOW_HIDDEN: PlainOptions = { showHidden: true };

/**
 * Conversions of deep-frozen data, shared by every request: a policy's params and manifest
 * (frozen by parsePolicy) cross into KCL once per policy instead of once per request. Frozen
 * data cannot change, and the interpreter never mutates a value, so the pair stays exact. Few,
 * long-lived keys: this WeakMap does not churn.
 */
const frozenValues = new WeakMap<object, Value>();

export class ConversionMemo {
  // Plain Maps, not WeakMaps: a memo lives for one request and is dropped whole, and V8's
  // WeakMaps (ephemerons) cost far more garbage-collector time per entry.
  private readonly values = new Map<object, Value>();
  private readonly plains = new Map<object, unknown>();
  /** Whether the last conversion's subtree is recorded as an exact pair (set by each call). */
  private exact = true;
  /** Whether the last toValue's input was deep-frozen (set by each call). */
  private frozen = true;

  /** toKcl, reusing earlier conversions of the same objects. */
  toValue(json: unknown): Value {
    if (typeof json !== 'object' || json === null) {
      this.exact = isExactPlainScalar(json);
      this.frozen = true;
      return toKcl(json);
    }
    const known = this.values.get(json);
    if (known !== undefined) {
      this.exact = true;
      this.frozen = false;
      return known;
    }
    let frozen = Object.isFrozen(json);
    if (frozen) {
      const shared = frozenValues.get(json);
      if (shared !== undefined) {
        this.exact = true;
        this.frozen = true;
        return shared;
      }
    }
    let exact = Array.isArray(json) || isPlainPrototype(json);
    let value: Value;
    if (Array.isArray(json)) {
      const list: Value[] = new Array(json.length);
      for (let i = 0; i < json.length; i++) {
        list[i] = this.toValue(json[i]);
        exact &&= this.exact;
        frozen &&= this.frozen;
      }
      value = list;
    } else {
      const dict = new KDict();
      for (const key in json) {
        if (!Object.hasOwn(json, key)) continue;
        const item = (json as Record<string, unknown>)[key];
        if (item === undefined) {
          exact = false;
          continue;
        }
        dict.set(key, this.toValue(item));
        exact &&= this.exact && isOrderStableKey(key);
        frozen &&= this.frozen;
      }
      value = dict;
    }
    // Only exact pairs are shared: an inexact one would differ from converting afresh.
    if (exact && frozen) frozenValues.set(json, value);
    else if (exact) this.pair(json, value as object);
    this.exact = exact;
    this.frozen = frozen && exact;
    return value;
  }

  /** toPlain(v, {showHidden: true}), reusing earlier conversions of the same values. */
  toJson(v: Value): unknown {
    if (!(v instanceof KDict) && !Array.isArray(v)) {
      this.exact = isExactScalar(v);
      return toPlain(v, SHOW_HIDDEN);
    }
    const known = this.plains.get(v);
    if (known !== undefined) {
      this.exact = true;
      return known;
    }
    let exact = true;
    let json: unknown;
    if (Array.isArray(v)) {
      const list: unknown[] = [];
      for (const item of v) {
        if (isDropped(item, SHOW_HIDDEN)) {
          exact = false;
          continue;
        }
        list.push(this.toJson(item));
        exact &&= this.exact;
      }
      json = list;
    } else {
      const record: Record<string, unknown> = {};
      for (const [key, item] of v.entries) {
        if (isDropped(item, SHOW_HIDDEN)) {
          exact = false;
          continue;
        }
        const converted = this.toJson(item);
        // `__proto__` is an ordinary key in Kubernetes data; assigning it would set the prototype.
        setOwn(record, key, converted);
        exact &&= this.exact && isOrderStableKey(key);
      }
      json = record;
    }
    if (exact) this.pair(json as object, v);
    this.exact = exact;
    return json;
  }

  private pair(json: object, value: object): void {
    this.values.set(json, value as Value);
    this.plains.set(value, json);
  }
}

function isPlainPrototype(object: object): boolean {
  const proto = Object.getPrototypeOf(object);
  return proto === Object.prototype || proto === null;
}

/** JS objects list integer-like keys first, whatever the insertion order; `__proto__` is special. */
function isOrderStableKey(key: string): boolean {
  const first = key.charCodeAt(0);
  return !(first >= 48 && first <= 57) && key !== '__proto__';
}

/**
 * Plain scalars that toKcl then toPlain give back unchanged. Not: undefined (null), ints beyond
 * 2^53 (they become exact bigints) and bigints (they may come back as numbers).
 */
function isExactPlainScalar(json: unknown): boolean {
  if (json === null || typeof json === 'string' || typeof json === 'boolean') return true;
  if (typeof json === 'number') return !Number.isInteger(json) || Number.isSafeInteger(json);
  return false;
}

/** KCL scalars whose toPlain result converts back (toKcl) to an equal value of the same kind. */
function isExactScalar(v: Value): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (v instanceof KFloat) return !Number.isInteger(v.value);
  return false;
}
