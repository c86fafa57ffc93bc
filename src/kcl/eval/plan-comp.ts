/**
 * List and dict comprehensions (several `for` clauses, one or two loop variables, `if`
 * filters) and the quantifiers `all` / `any` / `map` / `filter`. Each iteration counts as a
 * step, so a huge range ends with K9001 instead of hanging.
 */
import type * as ast from '../ast.js';
import type { Span } from '../span.js';
import { KDict, SchemaInstance, UNDEFINED, truthy, typeName, type Value } from '../value.js';
import type { Env, Ev, FrameLayout } from './env.js';
import { layoutOf } from './plan-name.js';
import { compileError, evalError } from './errors.js';
import type { Planner } from './planner.js';
import { putEntry, setOp } from './union.js';
import type { RunState } from './state.js';
import { ELEMENT_BYTES, NO_METER, stepsForBytes, type Meter } from '../budget.js';

/** Calls `each(first, second)` per element: (item) or (index|key, item|value). */
export function iterate(v: Value, twoVars: boolean, span: Span, each: (a: Value, b: Value) => boolean | void, meter: Meter = NO_METER): void {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (each(twoVars ? i : v[i]!, twoVars ? v[i]! : UNDEFINED) === false) return;
    return;
  }
  if (v instanceof KDict || v instanceof SchemaInstance) {
    const entries = v instanceof KDict ? v.entries : v.attrs;
    for (const [k, x] of entries) if (each(k, x) === false) return;
    return;
  }
  if (typeof v === 'string') {
    meter.step(stepsForBytes(v.length));
    const chars = Array.from(v);
    for (let i = 0; i < chars.length; i++) if (each(twoVars ? i : chars[i]!, twoVars ? chars[i]! : UNDEFINED) === false) return;
    return;
  }
  if (v === null || v === UNDEFINED) throw evalError(`'${typeName(v)}' object is not iterable`, span);
  throw compileError(`'${typeName(v)}' object is not iterable`, span);
}

interface PlannedClause {
  /** The loop variables' slots in the comprehension's frame (second: -1 for one variable). */
  readonly first: number;
  readonly second: number;
  readonly iter: Ev;
  readonly ifs: Ev[];
  readonly span: Span;
}

function loopNames(generators: readonly ast.CompClause[]): Set<string> {
  const names = new Set<string>();
  for (const g of generators) for (const t of g.targets) names.add(t.name);
  return names;
}

function planClauses(p: Planner, generators: readonly ast.CompClause[], layout: FrameLayout): PlannedClause[] {
  return generators.map((g) => ({
    first: layout.get(g.targets[0]!.name)!,
    second: g.targets[1] ? layout.get(g.targets[1].name)! : -1,
    iter: p.expr(g.iter),
    ifs: g.ifs.map((c) => p.expr(c)),
    span: g.span,
  }));
}

/** Whether a lambda is created inside `node` (it would capture the loop variables). */
export function containsLambda(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  if ((node as { kind?: string }).kind === 'LambdaExpr') return true;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'span') continue;
    if (Array.isArray(v) ? v.some(containsLambda) : containsLambda(v)) return true;
  }
  return false;
}

/**
 * `filter k, v in config {...}` as the reference computes it: a copy of the config from which
 * each entry that fails is swap-removed (the last entry takes its place), so the kept entries
 * are not always in their original order. Entry operators (`=`) stay with their entries.
 */
function filterConfig(
  coll: KDict | SchemaInstance,
  two: boolean,
  span: Span,
  st: RunState,
  keep: (k: Value, v: Value) => boolean,
): KDict {
  const source = coll instanceof KDict ? coll.entries : coll.attrs;
  // The result, and the key list and index it is filtered through, one entry each per key.
  st.checkContainer('dict', source.size);
  st.allocate(source.size * 2 * ELEMENT_BYTES);
  const keys = [...source.keys()];
  const at = new Map(keys.map((k, i) => [k, i]));
  iterate(coll, two, span, (k, v) => {
    if (keep(k, v)) return;
    const i = at.get(k as string)!;
    const last = keys.pop()!;
    at.delete(k as string);
    if (i < keys.length) {
      keys[i] = last;
      at.set(last, i);
    }
  }, st);
  const out = new KDict();
  const ops = coll.ops;
  for (const k of keys) {
    out.set(k, source.get(k)!);
    const op = ops?.get(k);
    if (op) setOp(out, k, op);
  }
  return out;
}

/**
 * Runs the nested loops, calling `emit(frame)` for each combination that passes the filters.
 * One frame serves every iteration, unless a lambda in the body could capture the loop
 * variables: then each iteration gets its own frame, as in the reference.
 */
function runClauses(clauses: readonly PlannedClause[], root: Env, emit: (frame: Env) => void, freshFrames = false): void {
  let frame = root;
  const st = frame.st;
  const loop = (level: number): void => {
    if (level === clauses.length) {
      emit(frame);
      return;
    }
    const c = clauses[level]!;
    const two = c.second >= 0;
    iterate(c.iter(frame), two, c.span, (a, b) => {
      st.step();
      if (freshFrames) frame = root.parent!.child(root.layout, frame.slots.slice());
      frame.slots[c.first] = a;
      if (two) frame.slots[c.second] = b;
      for (const cond of c.ifs) if (!truthy(cond(frame))) return;
      loop(level + 1);
    }, st);
  };
  loop(0);
}

export function planListComp(p: Planner, node: ast.ListComp): Ev {
  const names = loopNames(node.generators);
  const layout = layoutOf(names);
  return p.withScope({ names, dynamic: false, layout }, () => {
    const clauses = planClauses(p, node.generators, layout);
    const fresh = containsLambda(node);
    const elt = node.elt.kind === 'StarredExpr' ? undefined : p.expr(node.elt);
    const starred = node.elt.kind === 'StarredExpr' ? p.expr(node.elt.value) : undefined;
    const span = node.span;
    return (env) => {
      const out: Value[] = [];
      const frame = env.child(layout);
      runClauses(clauses, frame, (f) => {
        if (elt) out.push(elt(f));
        else {
          const v = starred!(f);
          if (Array.isArray(v)) {
            env.st.step(v.length);
            for (const x of v) out.push(x);
          }
          else if (v !== null && v !== UNDEFINED) out.push(v);
        }
      }, fresh);
      env.st.checkContainer('list', out.length, span);
      return out;
    };
  });
}

export function planDictComp(p: Planner, node: ast.DictComp): Ev {
  const names = loopNames(node.generators);
  const layout = layoutOf(names);
  return p.withScope({ names, dynamic: false, layout }, () => {
    const clauses = planClauses(p, node.generators, layout);
    const entry = node.entry;
    const span = node.span;
    const key = entry.key ? p.expr(entry.key) : undefined;
    const value = p.expr(entry.value);
    const op = entry.op;
    const display = p.host.display;
    const fresh = containsLambda(node);
    return (env) => {
      const out = new KDict();
      const frame = env.child(layout);
      runClauses(clauses, frame, (f) => {
        if (!key) {
          const v = value(f);
          if (v instanceof KDict) for (const [k, x] of v) putEntry(out, k, x, ':', env.st, span);
          return;
        }
        const k = key(f);
        // A None or Undefined key is the empty string in the reference (a literal config's None
        // key drops the entry).
        const name = typeof k === 'string' ? k : k === null || k === UNDEFINED ? '' : display(k, env.st.textBudget('dict key'));
        putEntry(out, name, value(f), op, env.st, span);
      }, fresh);
      env.st.checkContainer('dict', out.size, span);
      return out;
    };
  });
}

export function planQuant(p: Planner, node: ast.QuantExpr): Ev {
  const target = p.expr(node.target);
  const names = new Set(node.variables.map((v) => v.name));
  const layout = layoutOf(names);
  return p.withScope({ names, dynamic: false, layout }, () => {
    const first = layout.get(node.variables[0]!.name)!;
    const second = node.variables[1] ? layout.get(node.variables[1].name)! : -1;
    const two = second >= 0;
    const test = p.expr(node.test);
    const ifCond = node.ifCond ? p.expr(node.ifCond) : undefined;
    const span = node.span;
    const op = node.op;
    return (env) => {
      const coll = target(env);
      const frame = env.child(layout);
      const st = env.st;
      const bind = (a: Value, b: Value): boolean => {
        st.step();
        frame.slots[first] = a;
        if (two) frame.slots[second] = b;
        return ifCond === undefined || truthy(ifCond(frame));
      };
      switch (op) {
        case 'all': {
          let result = true;
          iterate(coll, two, span, (a, b) => {
            if (!bind(a, b)) return true;
            if (!truthy(test(frame))) return (result = false);
            return true;
          }, st);
          return result;
        }
        case 'any': {
          let result = false;
          iterate(coll, two, span, (a, b) => {
            if (!bind(a, b)) return true;
            if (truthy(test(frame))) {
              result = true;
              return false;
            }
            return true;
          }, st);
          return result;
        }
        case 'map': {
          const out: Value[] = [];
          iterate(coll, two, span, (a, b) => {
            if (bind(a, b)) out.push(test(frame));
          }, st);
          st.checkContainer('list', out.length, span);
          return out;
        }
        case 'filter': {
          if (typeof coll === 'string') throw evalError('only list, dict and schema can be removed item', span);
          if (coll instanceof KDict || coll instanceof SchemaInstance) return filterConfig(coll, two, span, st, (a, b) => bind(a, b) && truthy(test(frame)));
          const out: Value[] = [];
          iterate(coll, two, span, (a, b) => {
            if (bind(a, b) && truthy(test(frame))) out.push(two ? b : a);
          }, st);
          st.checkContainer('list', out.length, span);
          return out;
        }
      }
    };
  });
}
