/**
 * The lazy, order-independent module scope. Every top-level statement that assigns a name is
 * one of that name's "setters"; reading a global first runs its setters that have not run yet,
 * in source order, so `_v = 1; r = _v; _v = 2` gives `r: 2` as in the reference. Each statement
 * runs at most once; a statement that is running when its own name is read (a cycle) sees the
 * value so far, or Undefined, like the reference.
 */
import { KclError } from '../diagnostics.js';
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
  readonly values = new Map<string, Value>();
  readonly root: Env;
  private readonly status: Uint8Array;
  /** Names whose setters have all run: their lookups skip the setter scan. */
  private readonly settled = new Set<string>();
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
    this.root = new Env(st, this, null, new Map());
  }

  get(name: string): Value {
    if (!this.settled.has(name)) this.settle(name);
    // Constants (schemas, imports) are read from the plan: a module with hundreds of schemas
    // (the Kubernetes package) costs nothing per run until one is used.
    let v = this.values.get(name);
    if (v === undefined) v = this.plan.constants.get(name);
    return v === undefined ? UNDEFINED : v;
  }

  has(name: string): boolean {
    return this.values.has(name) || this.plan.constants.has(name);
  }

  set(name: string, value: Value): void {
    this.values.set(name, value);
  }

  private settle(name: string): void {
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
    if (allDone) this.settled.add(name);
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
