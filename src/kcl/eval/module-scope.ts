/**
 * The lazy, order-independent module scope. Every top-level statement that assigns a name is
 * one of that name's "setters"; reading a global first runs its setters that have not run yet,
 * in source order, so `_v = 1; r = _v; _v = 2` gives `r: 2` as in the reference. Each statement
 * runs at most once; a statement that is running when its own name is read (a cycle) sees the
 * value so far, or Undefined, like the reference.
 */
import { KclError, isStackOverflow, kclError } from '../diagnostics.js';
import type { Span } from '../span.js';
import { UNDEFINED, type Value } from '../value.js';
import { Env } from './env.js';
import type { Exec } from './schema.js';
import type { RunState } from './state.js';

export interface ModulePlan {
  /** The module's package path: `__main__`, or e.g. `k8s.api.core.v1` for an imported one. */
  readonly pkgpath: string;
  readonly statements: readonly Exec[];
  readonly spans: readonly Span[];
  /** Statement indexes that assign each global, in source order. */
  readonly setters: ReadonlyMap<string, readonly number[]>;
  /** Each global (each name with setters) numbered: its slot in a run's values. */
  readonly slots: ReadonlyMap<string, number>;
  /** Values known at plan time (schemas, imported modules). */
  readonly constants: ReadonlyMap<string, Value>;
}

/**
 * Who a module's schemas and functions belong to. Created before the module is planned (its
 * schemas need it) and given its plan when planning ends; a run keeps one ModuleScope per owner.
 */
export class ModuleOwner {
  plan: ModulePlan | undefined;
  constructor(readonly pkgpath: string) {}
}

const PENDING = 0;
const RUNNING = 1;
const DONE = 2;

export class ModuleScope {
  readonly root: Env;
  private readonly status: Uint8Array;
  /**
   * The globals' values in this run, by slot (ModulePlan.slots): sized once per run, where a Map
   * of the values grew (and rehashed) as the run assigned them.
   */
  private readonly values: (Value | undefined)[];
  /** By slot, 1 once all the name's setters have run: its lookups skip the setter scan. */
  private readonly settled: Uint8Array;
  /** Statements being run, innermost last (a lookup can start another statement). */
  private readonly running: number[] = [];
  /** Values of top-level expression statements (not None), unioned into the output. */
  readonly exprOutputs: { readonly value: Value; readonly span: Span }[] = [];

  private readonly plan: ModulePlan;

  constructor(
    readonly st: RunState,
    readonly owner: ModuleOwner,
  ) {
    this.plan = owner.plan!;
    this.status = new Uint8Array(this.plan.statements.length);
    this.values = new Array<Value | undefined>(this.plan.slots.size).fill(undefined);
    this.settled = new Uint8Array(this.plan.slots.size);
    this.root = Env.root(st, this);
  }

  get(name: string): Value {
    return this.getAt(this.plan.slots.get(name), name);
  }

  /** `get` with the name's slot found at plan time (Planner.globalSlots). */
  getAt(slot: number | undefined, name: string): Value {
    let v: Value | undefined;
    if (slot !== undefined) {
      if (this.settled[slot] === 0 && this.settle(name)) this.settled[slot] = 1;
      v = this.values[slot];
    }
    // Constants (schemas, imports) are read from the plan: a module with hundreds of schemas
    // (the Kubernetes package) costs nothing per run until one is used.
    if (v === undefined) v = this.plan.constants.get(name);
    return v === undefined ? UNDEFINED : v;
  }

  /** The value the run has assigned to `name` so far, if any (no setter is run). */
  value(name: string): Value | undefined {
    const slot = this.plan.slots.get(name);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(name: string): boolean {
    return this.value(name) !== undefined || this.plan.constants.has(name);
  }

  set(name: string, value: Value): void {
    this.setAt(this.plan.slots.get(name), name, value);
  }

  /** `set` with the name's slot found at plan time (Planner.globalSlots). */
  setAt(slot: number | undefined, name: string, value: Value): void {
    // Only a global's own setters write it, and every global has a slot.
    if (slot === undefined) throw new Error(`module ${this.plan.pkgpath} has no global '${name}'`);
    this.values[slot] = value;
  }

  /** Runs the name's pending setters; true when all of them have run. */
  private settle(name: string): boolean {
    const setters = this.plan.setters.get(name);
    let allDone = true;
    if (setters) {
      // Inside one of the name's own setters (`_a += 1`), only the setters before it apply.
      let limit = Infinity;
      for (const r of this.running) if (r < limit && setters.includes(r)) limit = r;
      for (const i of setters) {
        if (i >= limit) {
          allDone = false;
          break;
        }
        if (this.status[i] === PENDING) this.runStatement(i);
        if (this.status[i] !== DONE) allDone = false;
      }
    }
    return allDone;
  }

  private runStatement(i: number): void {
    const st = this.st;
    const saved = st.stmtSpan;
    this.status[i] = RUNNING;
    this.running.push(i);
    st.stmtSpan = this.plan.spans[i];
    try {
      this.plan.statements[i]!(this.root);
    } catch (e) {
      // Errors raised without a location point at the statement, as the reference's do.
      if (e instanceof KclError && !e.diagnostic.span) throw new KclError({ ...e.diagnostic, span: this.plan.spans[i]! });
      // So does a JavaScript stack overflow in an operator walking a deeply nested value
      // (`==`, `in`, interpolation): here, before the statement's location is forgotten.
      if (isStackOverflow(e)) {
        throw kclError('K9002', 'maximum recursion depth exceeded', this.plan.spans[i]!);
      }
      throw e;
    } finally {
      st.stmtSpan = saved;
      this.running.pop();
    }
    this.status[i] = DONE;
  }

  /** The main pass: every statement not already run by a lookup, in order. */
  runAll(): void {
    for (let i = 0; i < this.status.length; i++) {
      if (this.status[i] === PENDING) this.runStatement(i);
    }
  }
}
