/**
 * Config union, the heart of KCL's data model: `{...} | {...}`, repeated `:` entries in one
 * config literal, and schema defaults unified with instance configs.
 *
 * Rules (as the reference evaluates them): dicts merge key by key; a key present on both sides
 * merges recursively when both values are configs, and otherwise must hold equal values
 * (a conflict is an error — "idempotent" union); a key written with `=` overrides (`= Undefined`
 * too: the key stays, holding Undefined), a key written with `+=` appends. Lists union element by element
 * and scalars at list positions are replaced. None/Undefined on either side yields the other.
 *
 * Union never mutates its inputs: nested configs are copied only along the paths it changes,
 * so values that came from options can be shared safely.
 */
import type { ConfigEntryOp } from '../ast.js';
import type { Span } from '../span.js';
import { KDict, SchemaInstance, UNDEFINED, type Value } from '../value.js';
import { valuesEqual, shortDisplay, typedDisplay } from './interop.js';
import { evalError, locatedError, typeError } from './errors.js';
import type { RunState } from './state.js';
import { unionIntoSchema } from './schema.js';

/** Records a config entry's operator (`d.ops`, value.ts): only those other than `:` are kept. */
export function setOp(d: KDict | SchemaInstance, key: string, op: ConfigEntryOp): void {
  if (op === ':') {
    d.ops?.delete(key);
    return;
  }
  (d.ops ??= new Map()).set(key, op);
}

export function isConfig(v: Value): v is KDict | SchemaInstance {
  return v instanceof KDict || v instanceof SchemaInstance;
}

export function copyDict(d: KDict, st?: RunState): KDict {
  // Copy-on-write costs a step per entry copied, and the copy's heap.
  st?.checkContainer('dict', d.size);
  st?.step(d.size);
  const out = new KDict(new Map(d.entries));
  if (d.ops) out.ops = new Map(d.ops);
  return out;
}

/**
 * Writes `value` into `target[key]` with entry operator `op`. `target` is owned by the caller
 * (freshly built), so it is mutated in place.
 */
export function putEntry(
  target: KDict,
  key: string,
  value: Value,
  op: ConfigEntryOp,
  st: RunState,
  span: Span | undefined,
): void {
  if (op === '=') {
    // `k = Undefined` keeps the key, holding Undefined (it is not output, but it is counted and
    // iterated), in a literal and in a union alike.
    target.set(key, value);
    setOp(target, key, '=');
    return;
  }
  const existing = target.get(key);
  if (op === '+=') {
    if (existing === undefined || existing === null || existing === UNDEFINED) {
      target.set(key, value);
    } else if (Array.isArray(existing) && Array.isArray(value)) {
      st.checkSize(existing.length + value.length, span);
      st.step(existing.length + value.length);
      target.set(key, existing.concat(value));
    } else {
      throw evalError(`only list type can in inserted, got '${shortDisplay(existing)}' and '${shortDisplay(value)}'`, span);
    }
    setOp(target, key, '+=');
    return;
  }
  if (existing === undefined) {
    target.set(key, value);
    return;
  }
  target.set(key, unionAtKey(key, existing, value, st, span));
}

/**
 * Two values under the same `:` key. Configs merge; lists of the same length merge element by
 * element (configs merged, other elements must be equal); anything else must be equal.
 */
function unionAtKey(key: string, left: Value, right: Value, st: RunState, span: Span | undefined): Value {
  if (isConfig(left) && isConfig(right)) return unionValues(left, right, st, span, true);
  if (left === UNDEFINED) return right;
  if (right === UNDEFINED) return left;
  if (Array.isArray(left) && Array.isArray(right)) {
    const merged = left.length === right.length ? unionLists(left, right, st, span) : undefined;
    if (merged) return merged;
  } else if (valuesEqual(left, right, st)) {
    return right;
  }
  // The reference points at the conflicting entry itself.
  throw locatedError(
    evalError(`conflicting values on the attribute '${key}' between ${shortDisplay(left)} and ${shortDisplay(right)}`, span),
  );
}

function unionLists(left: Value[], right: Value[], st: RunState, span: Span | undefined): Value[] | undefined {
  st.checkSize(left.length, span);
  const out = new Array<Value>(left.length);
  for (let i = 0; i < left.length; i++) {
    st.step();
    const l = left[i]!;
    const r = right[i]!;
    if (isConfig(l) && isConfig(r)) out[i] = unionValues(l, r, st, span, true);
    else if (Array.isArray(l) && Array.isArray(r)) {
      const inner = l.length === r.length ? unionLists(l, r, st, span) : undefined;
      if (!inner) return undefined;
      out[i] = inner;
    } else if (valuesEqual(l, r, st)) out[i] = r;
    else return undefined;
  }
  return out;
}

/** `left | right` and every other union. `idempotent` turns on the conflict check for dict keys. */
export function unionValues(left: Value, right: Value, st: RunState, span: Span | undefined, idempotent: boolean): Value {
  st.step();
  if (left === null || left === UNDEFINED) return right;
  if (right === null || right === UNDEFINED) return left;
  if (left instanceof SchemaInstance) return unionIntoSchema(left, right, st, span);
  if (left instanceof KDict && isConfig(right)) {
    const out = copyDict(left, st);
    const rightOps = right.ops;
    const entries = right instanceof KDict ? right.entries : right.attrs;
    for (const [k, v] of entries) {
      const op = rightOps?.get(k) ?? ':';
      if (op === ':' && !idempotent && out.has(k)) {
        const existing = out.get(k)!;
        // Lists too merge position by position here (the reference's schema-default union):
        // `[z]` over `[a, b]` is `[z, b]`, and `[]` leaves `[a, b]`.
        const merges = (isConfig(existing) && isConfig(v)) || (Array.isArray(existing) && Array.isArray(v));
        out.set(k, merges ? unionValues(existing, v, st, span, false) : v);
      } else {
        putEntry(out, k, v, op, st, span);
      }
    }
    return out;
  }
  if (Array.isArray(left) !== Array.isArray(right)) {
    throw typeError(`unsupported operand type(s) for |: '${typedDisplay(left)}' and '${typedDisplay(right)}'`, span);
  }
  if (Array.isArray(left) && Array.isArray(right)) {
    st.checkSize(Math.max(left.length, right.length), span);
    st.step(left.length);
    const out = left.slice();
    for (let i = 0; i < right.length; i++) {
      out[i] = i < left.length ? unionValues(left[i]!, right[i]!, st, span, idempotent) : right[i]!;
    }
    return out;
  }
  return right;
}
