/**
 * Runtime scopes. The planner decides at compile time which names are local (lambda params,
 * comprehension variables, schema attributes) and which are module globals or builtins, so a
 * global lookup never walks a chain; locals live in small Maps chained by `parent`.
 */
import type { Value } from '../value.js';
import type { RunState } from './state.js';
import type { ModuleScope } from './module-scope.js';

export class Env {
  /**
   * A lambda body's frame: the value of its last statement, its result. A field rather than an
   * entry of `vars`, which stays as small as the names the body binds.
   */
  result: Value | undefined = undefined;

  constructor(
    readonly st: RunState,
    readonly mod: ModuleScope,
    readonly parent: Env | null,
    readonly vars: Map<string, Value>,
  ) {}

  child(vars: Map<string, Value> = new Map()): Env {
    return new Env(this.st, this.mod, this, vars);
  }

  /** The innermost frame holding `name`, or null. */
  frameOf(name: string): Env | null {
    for (let e: Env | null = this; e !== null; e = e.parent) {
      if (e.vars.has(name)) return e;
    }
    return null;
  }
}

/** A planned expression: evaluated per run against an environment. */
export type Ev = (env: Env) => Value;
