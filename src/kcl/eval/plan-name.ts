/**
 * Reads of local names, resolved at plan time. The planner's scope stack mirrors the frames a
 * read meets at run time: each slot-frame scope is one frame (a config literal's entry scopes
 * share theirs), so a local bound in one is found at a fixed depth and slot. A schema's scope is
 * where that mirror ends: a parent's or mixin's body runs in its child's frames, and a config
 * gives attributes the planner cannot see, so from there on a read walks the frames by name as
 * before (docs/kcl-language.md, "Local names").
 */
import type { Value } from '../value.js';
import type { Env, Ev, FrameLayout } from './env.js';
import { SchemaEnv } from './schema.js';

/** A planner scope: the names it binds, and the frame they live in at run time. */
export interface LocalScope {
  readonly names: ReadonlySet<string>;
  /** Schema bodies: any name may be an (inherited) attribute, so lookups check the frame. */
  readonly dynamic: boolean;
  /**
   * The slot frame this scope's names live in; undefined for a schema's scope, whose frames are
   * keyed by name. Scopes sharing a layout share one frame.
   */
  readonly layout: FrameLayout | undefined;
  /** A lambda body's scope: a schema attribute read from inside it does not run the body. */
  readonly lambda?: boolean;
}

/** A layout with one slot per name, in order. */
export function layoutOf(names: Iterable<string>): Map<string, number> {
  const layout = new Map<string, number>();
  for (const n of names) if (!layout.has(n)) layout.set(n, layout.size);
  return layout;
}

interface SlotHit {
  readonly depth: number;
  readonly index: number;
}

/**
 * Plans a read of `name` from the innermost of `scopes`: each slot frame that binds it, innermost
 * first (an unbound slot, a name assigned later in its body, falls through to the next), then the
 * name-keyed walk from the first schema frame if there is one, then `global`.
 */
export function planLocalRead(scopes: readonly LocalScope[], name: string, global: Ev): Ev {
  const hits: SlotHit[] = [];
  let depth = -1;
  let last: FrameLayout | undefined;
  let namedFrom = -1;
  let inLambda = false;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const layout = scopes[i]!.layout;
    if (layout === undefined) {
      namedFrom = depth + 1;
      break;
    }
    const scope = scopes[i]!;
    if (scope.lambda === true) inLambda = true;
    if (layout !== last) {
      depth++;
      last = layout;
    }
    // The scope's names, not its frame's layout, say what it binds here: a config literal's
    // frame has a slot for every key, but an entry (and a lambda made in it) sees only the keys
    // set before it, as in the reference.
    const index = scope.names.has(name) ? layout.get(name) : undefined;
    if (index !== undefined && hits[hits.length - 1]?.depth !== depth) hits.push({ depth, index });
  }
  if (namedFrom < 0 && hits.length === 1) {
    const { depth: d, index: i } = hits[0]!;
    // The common reads (a lambda's parameter, a loop variable, one level out) without a loop.
    if (d === 0) return (env) => {
      const v = env.slots[i];
      return v !== undefined ? v : global(env);
    };
    if (d === 1) return (env) => {
      const v = env.parent!.slots[i];
      return v !== undefined ? v : global(env);
    };
  }
  if (namedFrom < 0 && hits.length === 0) return global;
  return (env) => {
    let e = env;
    let d = 0;
    for (const h of hits) {
      for (; d < h.depth; d++) e = e.parent!;
      const v = e.slots[h.index];
      if (v !== undefined) return v;
    }
    if (namedFrom >= 0) {
      for (; d < namedFrom; d++) e = e.parent!;
      // A lambda reads a schema attribute as it is when called, without running the
      // statements still pending for it (a parent's lambda called in the parent's body sees the
      // parent's value, not a child's override), as in the reference.
      const v = lookupByName(e, name, !inLambda);
      if (v !== undefined) return v;
    }
    return global(env);
  };
}

/**
 * The name-keyed walk from `env` to the module root: a schema frame's pending statements for the
 * name run first (its body is lazy), and a slot frame on the way (the caller's, for a schema
 * argument's default) is read through its layout. Without `settle` (a read from inside a lambda)
 * pending statements do not run: the walk sees the values bound right now.
 */
export function lookupByName(env: Env, name: string, settle = true): Value | undefined {
  for (let e: Env | null = env; e !== null; e = e.parent) {
    if (settle && e instanceof SchemaEnv) e.settle(name);
    let v = e.vars.get(name);
    if (v === undefined && e.slots.length > 0) {
      const i = e.layout.get(name);
      if (i !== undefined) v = e.slots[i];
    }
    if (v !== undefined) return v;
  }
  return undefined;
}

