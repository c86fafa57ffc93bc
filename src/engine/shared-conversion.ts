/**
 * JSON <-> KCL conversion shared by the policies of one request. Without it every policy
 * converted the whole admitted object (twice: `items` and `resource_list.items`), the request
 * view, its params and its manifest into KCL, and every export back to JSON, then deep-compared
 * the result with its input: with 50 policies that was most of the engine's own time.
 *
 * The memo pairs each plain object or array with the KCL value it converts to: KCL -> plain at
 * every level, plain -> KCL only near the top of a value, where it is looked up (LOOKUP_DEPTH). The
 * interpreter never mutates a value it was given (it copies on write), so the value a policy
 * returns unchanged — or an unchanged subtree of a mutated object — is the very KDict that went
 * in, and converts back to the very plain object that went in: an unchanged object is seen as
 * unchanged by identity, and the next policy gets the KCL value without converting again.
 *
 * A pair is only recorded when converting one side gives exactly the other, so that reuse is
 * indistinguishable from converting afresh with toKcl / toPlain(showHiddenDictKeys). Not recorded:
 * subtrees holding values toPlain drops or changes (Undefined, functions, schema instances,
 * unit numbers, floats with integral values, ints beyond 2^53), `undefined` members,
 * integer-like keys (a JS object reorders them) and objects that are not plain.
 */
import { isDropped, toKcl, toPlain, type PlainOptions, KDict, KFloat, type Value } from '../kcl/index.js';
import { setOwn } from './json-data.js';

/** A dict's `_` keys are data and kept; a schema instance's `_` attributes are private (convert.ts). */
const OUTPUT_OPTIONS: PlainOptions = { showHiddenDictKeys: true };

/**
 * Conversions of deep-frozen data, shared by every request: a policy's params and manifest
 * (frozen by parsePolicy) cross into KCL once per policy instead of once per request. Frozen
 * data cannot change, and the interpreter never mutates a value, so the pair stays exact. Few,
 * long-lived keys: this WeakMap does not churn.
 */
const frozenValues = new WeakMap<object, Value>();

/**
 * How deep in a value the memo looks plain objects up, and records them for later lookups. A
 * request's policies are handed the same plain objects again only there: the request view is an
 * option itself, the admitted object (or the last kept output) is the member of each run's fresh
 * `items` list, and that list is a member of `resource_list`. Below a hit nothing is visited, so
 * deeper entries were never looked up. For a 4.7 KB Pod as the API server sends it, leaving them
 * out (and keeping a dict's way back on the dict) cut the engine's CPU per review by a fifth
 * (docs/performance.md, What was changed in the engine).
 */
const LOOKUP_DEPTH = 1;

/** The last memo's mark (see KDict.hostMark): a small integer, wrapping long before it stops being one. */
let lastMark = 0;

export class ConversionMemo {
  // Plain Maps, not WeakMaps: a memo lives for one request and is dropped whole, and V8's
  // WeakMaps (ephemerons) cost far more garbage-collector time per entry.
  /** Plain object or array -> its KCL value, for those within LOOKUP_DEPTH of a converted value. */
  private readonly values = new Map<object, Value>();
  /**
   * KCL list -> its plain array, at any depth. A dict's plain side is on the dict itself
   * (KDict.hostData), valid while it carries this memo's mark: a dict shared between requests (a
   * frozen manifest's) may carry another memo's pair, which is ignored. After 2^30 memos a mark
   * comes round again; a pair it revives is still exact, as nothing writes to a paired object.
   * Every level is recorded this way, so what a policy leaves unchanged anywhere in the object
   * converts back to the very plain object that went in.
   */
  private readonly lists = new Map<object, unknown>();
  private readonly mark = (lastMark = lastMark >= 0x3fffffff ? 1 : lastMark + 1);
  /** Whether the last conversion's subtree is recorded as an exact pair (set by each call). */
  private exact = true;
  /** Whether the last toValue's input was deep-frozen (set by each call). */
  private frozen = true;

  /** toKcl, reusing earlier conversions of the same objects. */
  toValue(json: unknown): Value {
    return this.valueOf(json, 0);
  }

  /** toPlain(v, {showHiddenDictKeys: true}), reusing earlier conversions of the same values. */
  toJson(v: Value): unknown {
    return this.jsonOf(v, 0);
  }

  private valueOf(json: unknown, depth: number): Value {
    if (typeof json !== 'object' || json === null) {
      this.exact = isExactPlainScalar(json);
      this.frozen = true;
      return toKcl(json);
    }
    const known = depth <= LOOKUP_DEPTH ? this.values.get(json) : undefined;
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
        list[i] = this.valueOf(json[i], depth + 1);
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
        dict.set(key, this.valueOf(item, depth + 1));
        exact &&= this.exact && isOrderStableKey(key);
        frozen &&= this.frozen;
      }
      value = dict;
    }
    // Only exact pairs are shared: an inexact one would differ from converting afresh.
    if (exact && frozen) frozenValues.set(json, value);
    else if (exact) this.pair(json, value as KDict | Value[], depth);
    this.exact = exact;
    this.frozen = frozen && exact;
    return value;
  }

  private jsonOf(v: Value, depth: number): unknown {
    if (!(v instanceof KDict) && !Array.isArray(v)) {
      this.exact = isExactScalar(v);
      return toPlain(v, OUTPUT_OPTIONS);
    }
    const known = v instanceof KDict ? (v.hostMark === this.mark ? v.hostData : undefined) : this.lists.get(v);
    if (known !== undefined) {
      this.exact = true;
      return known;
    }
    let exact = true;
    let json: unknown;
    if (Array.isArray(v)) {
      const list: unknown[] = [];
      for (const item of v) {
        if (isDropped(item, OUTPUT_OPTIONS)) {
          exact = false;
          continue;
        }
        list.push(this.jsonOf(item, depth + 1));
        exact &&= this.exact;
      }
      json = list;
    } else {
      const record: Record<string, unknown> = {};
      for (const [key, item] of v.entries) {
        if (isDropped(item, OUTPUT_OPTIONS)) {
          exact = false;
          continue;
        }
        const converted = this.jsonOf(item, depth + 1);
        // `__proto__` is an ordinary key in Kubernetes data; assigning it would set the prototype.
        setOwn(record, key, converted);
        exact &&= this.exact && isOrderStableKey(key);
      }
      json = record;
    }
    if (exact) this.pair(json as object, v, depth);
    this.exact = exact;
    return json;
  }

  private pair(json: object, value: KDict | Value[], depth: number): void {
    if (depth <= LOOKUP_DEPTH) this.values.set(json, value);
    if (value instanceof KDict) {
      value.hostData = json;
      value.hostMark = this.mark;
    } else this.lists.set(value, json);
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
