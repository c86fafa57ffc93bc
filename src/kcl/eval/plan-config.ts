/**
 * List and config (dict) literals: `*` / `**` unpacking, `if`/`elif`/`else` items and entries,
 * nested selector keys (`a.b.c: v`) and the entry operators `:`, `=` and `+=`.
 */
import type * as ast from '../ast.js';
import type { Span } from '../span.js';
import { KDict, SchemaInstance, UNDEFINED, truthy, typeName, type Value } from '../value.js';
import type { Env, Ev } from './env.js';
import { compileError, evalError, typeError } from './errors.js';
import type { Planner } from './planner.js';
import { layoutOf } from './plan-name.js';
import { putEntry, setOp } from './union.js';
import { mentionsAny } from '../ast-walk.js';
import { containerBytes, type Meter } from '../budget.js';

type Pusher = (env: Env, out: Value[]) => void;

function spreadInto(v: Value, out: Value[], span: Span, meter: Meter): void {
  if (Array.isArray(v)) {
    meter.step(v.length);
    for (const x of v) out.push(x);
  } else if (v instanceof KDict) {
    for (const k of v.keys()) out.push(k);
  } else if (v instanceof SchemaInstance) {
    for (const k of v.attrs.keys()) out.push(k);
  } else if (v !== null && v !== UNDEFINED) {
    throw typeError(`only list, dict and schema object can be used with unpacking, got ${String(v)}`, span);
  }
}

function planItem(p: Planner, e: ast.Expr): Pusher {
  if (e.kind === 'StarredExpr') {
    const ev = p.expr(e.value);
    const span = e.span;
    return (env, out) => spreadInto(ev(env), out, span, env.st);
  }
  if (e.kind === 'ListIfItemExpr') {
    const cond = p.expr(e.cond);
    const body = e.exprs.map((x) => planItem(p, x));
    const orelse: Pusher | undefined = e.orelse
      ? e.orelse.kind === 'ListExpr'
        ? planItems(p, e.orelse.elts)
        : planItem(p, e.orelse)
      : undefined;
    return (env, out) => {
      if (truthy(cond(env))) for (const b of body) b(env, out);
      else if (orelse) orelse(env, out);
    };
  }
  const ev = p.expr(e);
  return (env, out) => {
    out.push(ev(env));
  };
}

function planItems(p: Planner, elts: readonly ast.Expr[]): Pusher {
  const items = elts.map((e) => planItem(p, e));
  return (env, out) => {
    for (const item of items) item(env, out);
  };
}

export function planList(p: Planner, elts: readonly ast.Expr[], span: Span): Ev {
  if (elts.every((e) => e.kind !== 'StarredExpr' && e.kind !== 'ListIfItemExpr')) {
    const evs = elts.map((e) => p.expr(e));
    return (env) => {
      // The literal's own heap counts too: in a comprehension it is built once per element.
      env.st.checkContainer('list', evs.length, span);
      const out = new Array<Value>(evs.length);
      for (let i = 0; i < evs.length; i++) out[i] = evs[i]!(env);
      return out;
    };
  }
  const items = planItems(p, elts);
  return (env) => {
    const out: Value[] = [];
    items(env, out);
    env.st.checkContainer('list', out.length, span);
    return out;
  };
}

type Putter = (env: Env, target: KDict) => void;

/** The literal path of a config key: `a` -> ['a'], `a.b.c` -> ['a','b','c'], otherwise undefined. */
function keyPath(key: ast.Expr): string[] | undefined {
  if (key.kind === 'Identifier') return [key.name];
  if (key.kind === 'StringLit') return [key.value];
  if (key.kind === 'SelectorExpr') {
    const inner = key.value.kind === 'StringLit' ? undefined : keyPath(key.value);
    return inner ? [...inner, key.attr] : undefined;
  }
  return undefined;
}

/** Wraps `value` in configs along `path[1..]` so `a.b.c: v` becomes `a: {b: {c: v}}`. */
function nest(path: readonly string[], value: Value, op: ast.ConfigEntryOp): { value: Value; op: ast.ConfigEntryOp } {
  let v = value;
  let innerOp = op;
  for (let i = path.length - 1; i >= 1; i--) {
    const d = new KDict();
    if (!(innerOp === '=' && v === UNDEFINED)) d.set(path[i]!, v);
    setOp(d, path[i]!, innerOp);
    v = d;
    innerOp = ':';
  }
  return { value: v, op: innerOp };
}

export function planEntry(p: Planner, entry: ast.ConfigEntry): Putter {
  const span = entry.span;
  if (entry.isDoubleStar) {
    const ev = p.expr(entry.value);
    return (env, target) => {
      const v = ev(env);
      if (v === null || v === UNDEFINED) return;
      const entries = v instanceof KDict ? v.entries : v instanceof SchemaInstance ? v.attrs : undefined;
      if (!entries) throw compileError(`only dict and schema can be used ** unpack, got '${typeName(v)}'`, span);
      const ops = (v as KDict | SchemaInstance).ops;
      for (const [k, x] of entries) putEntry(target, k, x, ops?.get(k) ?? ':', env.st, span);
    };
  }
  if (entry.value.kind === 'ConfigIfEntryExpr' && !entry.key) return planIfEntry(p, entry.value);
  const value = p.expr(entry.value);
  const op = entry.op;
  const path = entry.key ? keyPath(entry.key) : undefined;
  if (path && path.length === 1) {
    const key = path[0]!;
    return (env, target) => putEntry(target, key, value(env), op, env.st, span);
  }
  if (path) {
    // `a.b.c: v` builds a dict of one entry per level below the first.
    const nestedBytes = (path.length - 1) * containerBytes('dict', 1);
    return (env, target) => {
      env.st.allocate(nestedBytes, span);
      const n = nest(path, value(env), op);
      putEntry(target, path[0]!, n.value, n.op, env.st, span);
    };
  }
  if (!entry.key) {
    p.report('E1001', 'config entry without a key', span);
    return () => undefined;
  }
  if (entry.key.kind === 'SubscriptExpr' && !entry.key.isSlice && entry.key.index) {
    const listPath = keyPath(entry.key.value);
    // The reference reads a literal index by its number alone: `l[1Ki]` is `l[1]`.
    const index = entry.key.index;
    const unitFree = index.kind === 'NumberLit' && index.suffix ? { ...index, suffix: undefined, raw: String(index.value) } : index;
    if (listPath && listPath.length === 1) return planIndexEntry(listPath[0]!, p.expr(unitFree), value, op, span);
  }
  const keyEv = p.expr(entry.key);
  return (env, target) => {
    const k = keyEv(env);
    // A computed key that is not a string (None, Undefined, or an `any` the checker let through)
    // is the empty string in the reference.
    putEntry(target, typeof k === 'string' ? k : '', value(env), op, env.st, span);
  };
}

/** `l[i] = v` replaces an element, `l[i] += [..]` inserts before it, of the list already at `l`. */
function planIndexEntry(key: string, index: Ev, value: Ev, op: ast.ConfigEntryOp, span: Span): Putter {
  return (env, target) => {
    const list = target.get(key);
    const rawIndex = index(env);
    // An index beyond 2^53 is out of range of any list; its approximate value says so.
    const i = typeof rawIndex === 'bigint' ? Number(rawIndex) : rawIndex;
    const v = value(env);
    if (!Array.isArray(list) || typeof i !== 'number') {
      throw evalError(`only a list attribute can be indexed in a config entry, got '${key}'`, span);
    }
    const j = i < 0 ? i + list.length : i;
    if (j < 0 || j > list.length || (op !== '+=' && j === list.length)) throw evalError(`list index out of range: ${i}`, span);
    env.st.checkSize(list.length + (Array.isArray(v) ? v.length : 1), span);
    env.st.step(list.length);
    const out = list.slice();
    if (op === '+=') {
      if (!Array.isArray(v)) throw evalError(`only list type can be inserted, got '${typeName(v)}'`, span);
      out.splice(j, 0, ...v);
    } else {
      out[j] = v;
    }
    target.set(key, out);
  };
}

function planIfEntry(p: Planner, node: ast.ConfigIfEntryExpr): Putter {
  const cond = p.expr(node.cond);
  const body = node.entries.map((e) => planEntry(p, e));
  let orelse: Putter | undefined;
  if (node.orelse?.kind === 'ConfigIfEntryExpr') orelse = planIfEntry(p, node.orelse);
  else if (node.orelse) {
    const entries = node.orelse.entries.map((e) => planEntry(p, e));
    orelse = (env, target) => {
      for (const e of entries) e(env, target);
    };
  }
  return (env, target) => {
    if (truthy(cond(env))) for (const b of body) b(env, target);
    else if (orelse) orelse(env, target);
  };
}

/** The name a config entry's key gives the entries after it (`a` of `a.b.c = v`, `"a"`). */
function keyName(entry: ast.ConfigEntry): string | undefined {
  const path = entry.key ? keyPath(entry.key) : undefined;
  return path?.[0];
}

export function planConfig(p: Planner, node: ast.ConfigExpr): Ev {
  const span = node.span;
  // Inside a config literal, a bare name may be a key set earlier in the same literal
  // (`{labels = {...}, selector = labels}`): it reads that key's value so far, before any
  // variable of that name. Only literals that do so pay for the lookup.
  const earlier = new Set<string>();
  const readsEarlierKey = node.entries.some((e) => {
    const reads = mentionsAny(e, earlier);
    const name = keyName(e);
    if (name !== undefined) earlier.add(name);
    return reads;
  });
  if (!readsEarlierKey) {
    const entries = node.entries.map((e) => planEntry(p, e));
    return (env) => {
      const out = new KDict();
      for (const e of entries) e(env, out);
      env.st.checkContainer('dict', out.size, span);
      return out;
    };
  }
  // One frame for the literal, with a slot for every key it names: an entry, and a lambda made
  // in it, sees only the keys set before it (its scope's names), as in the reference.
  const layout = layoutOf(node.entries.map(keyName).filter((n): n is string => n !== undefined));
  const names = new Set<string>();
  const entries = node.entries.map((e) => {
    const put = p.withScope({ names: new Set(names), dynamic: false, layout }, () => planEntry(p, e));
    const name = keyName(e);
    if (name !== undefined) names.add(name);
    return { put, name, slot: name === undefined ? -1 : layout.get(name)! };
  });
  return (env) => {
    const out = new KDict();
    const scope = env.child(layout);
    for (const { put, name, slot } of entries) {
      put(scope, out);
      if (slot >= 0) scope.slots[slot] = out.get(name!) ?? UNDEFINED;
    }
    env.st.checkContainer('dict', out.size, span);
    return out;
  };
}
