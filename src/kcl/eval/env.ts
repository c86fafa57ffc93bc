/**
 * Runtime scopes. The planner decides at compile time which names are local and which are module
 * globals or builtins, so a global lookup never walks a chain. Locals live in frames chained by
 * `parent`, of two kinds:
 *
 *  - slot frames (lambda bodies, comprehensions, quantifiers, config literals that read their own
 *    keys): an array whose layout the planner fixed, so a read is `up(depth).slots[i]`;
 *  - named frames (a schema instance's attributes and arguments, a per-key check, the module
 *    root): a Map by name, because what they hold depends on the instance (parents and mixins run
 *    their bodies in the child's frames, configs add attributes the planner cannot see).
 *
 * The planner knows statically which kind every frame between a read and its binding is, so a
 * read never asks a frame what kind it is except in the name-keyed walk (`lookupByName`).
 */
import type { Value } from '../value.js';
import type { RunState } from './state.js';
import type { ModuleScope } from './module-scope.js';

/** Where each name of a slot frame lives: fixed by the planner. */
export type FrameLayout = ReadonlyMap<string, number>;

/** Frames up to this many slots cost no steps of their own (a call or an iteration counts one). */
export const FREE_FRAME_SLOTS = 64;

export const NO_LAYOUT: FrameLayout = new Map();
const NO_VARS: ReadonlyMap<string, Value> = new Map();
/** A named frame's slots: frozen, so a slot write planned against the wrong frame throws. */
export const NO_SLOTS: (Value | undefined)[] = Object.freeze([]) as unknown as (Value | undefined)[];

export class Env {
  /**
   * A lambda body's frame: the value of its last statement, its result. A field rather than a
   * slot, so frames stay as small as the names the body binds.
   */
  result: Value | undefined = undefined;

  constructor(
    readonly st: RunState,
    readonly mod: ModuleScope,
    readonly parent: Env | null,
    /** A slot frame's values (undefined until bound); empty for a named frame. */
    readonly slots: (Value | undefined)[],
    /** A slot frame's names, for the name-keyed walk; empty for a named frame. */
    readonly layout: FrameLayout,
    /** A named frame's values; empty for a slot frame. */
    readonly vars: ReadonlyMap<string, Value>,
  ) {}

  /** A slot frame below this one. */
  child(layout: FrameLayout, slots: (Value | undefined)[] = newSlots(layout.size)): Env {
    // Filling (or copying) a frame is work a hostile program controls by the number of names it
    // assigns, even in branches never taken: a large frame counts it against the step budget.
    if (slots.length > FREE_FRAME_SLOTS) this.st.step(slots.length);
    return new Env(this.st, this.mod, this, slots, layout, NO_VARS);
  }

  /** A named frame below this one. */
  childNamed(vars: ReadonlyMap<string, Value>): Env {
    return new Env(this.st, this.mod, this, NO_SLOTS, NO_LAYOUT, vars);
  }

  static root(st: RunState, mod: ModuleScope): Env {
    return new Env(st, mod, null, NO_SLOTS, NO_LAYOUT, NO_VARS);
  }
}

export function newSlots(size: number): (Value | undefined)[] {
  const slots = new Array<Value | undefined>(size);
  for (let i = 0; i < size; i++) slots[i] = undefined;
  return slots;
}

/** A planned expression: evaluated per run against an environment. */
export type Ev = (env: Env) => Value;
