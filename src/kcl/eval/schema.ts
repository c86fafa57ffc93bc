/**
 * Schema types and instantiation. A SchemaType is built once by the planner (attribute
 * declarations, body statements and checks already planned into closures); `instantiate` runs
 * per instance with the config the user wrote:
 *
 *   1. bind schema arguments in their own frame, and each parent's (the same call bound
 *      against the parent's parameters) in another;
 *   2. run the parent's body, then this body, then the mixins' bodies, all writing into one
 *      attribute map (so parent attributes come first in the output), each level's statements
 *      reading that level's arguments (checks read the child's, as in the reference); each attribute
 *      assignment takes the config's value for that name into account (union for `:`,
 *      replacement for `=`, append for `+=`);
 *   3. add config keys the body did not declare (index signature) or fail;
 *   4. check required attributes, then run `check:` blocks (parent first).
 *
 * `instance | config` rebuilds the instance from its original config unioned with the new one,
 * so attributes derived from others are computed again, as in the reference.
 */
import type { Span } from '../span.js';
import { kclError } from '../diagnostics.js';
import { KDict, SchemaInstance, UNDEFINED, type SchemaTypeRef, type Value } from '../value.js';
import { Env, NO_LAYOUT, NO_SLOTS } from './env.js';
import { compileError, evalError, locatedError, typeError } from './errors.js';
import type { RunState } from './state.js';
import type { ModuleOwner } from './module-scope.js';
import { NO_MATCH, checkOrThrow, describeGot, type RuntimeType } from './types.js';
import { copyDict, isConfig, unionValues } from './union.js';

/**
 * The frame a schema body runs in: its vars are the instance's attributes. Like the module
 * scope, the body is lazy: reading an attribute whose statement has not run yet runs it first,
 * so `a: int = b + 1` may precede `b: int = 1`.
 */
export class SchemaEnv extends Env {
  private readonly status: Uint8Array;
  private readonly flat: readonly BodyStmt[];
  /**
   * One frame per level of the inheritance chain, the instance's schema first: they share the
   * attributes and the lazy body, but each level's statements read that level's own arguments.
   */
  private readonly levels: SchemaEnv[];
  /** For each statement of `flat`, the index in `levels` of the frame it runs in. */
  private readonly flatLevels: readonly number[];

  constructor(
    parent: Env,
    /** The instance's attributes so far: this frame's `vars`, written by the body. */
    readonly attrs: Map<string, Value>,
    readonly schema: SchemaType,
    readonly config: KDict,
    /** Where the instance is created: schema check failures point here. */
    readonly span: Span | undefined,
    /** The instance's own frame, when this one is a parent level's. */
    instance?: SchemaEnv,
  ) {
    super(parent.st, parent.mod, parent, NO_SLOTS, NO_LAYOUT, attrs);
    this.flat = instance ? instance.flat : schema.flatBody();
    this.status = instance ? instance.status : new Uint8Array(this.flat.length);
    this.levels = instance ? instance.levels : [];
    this.flatLevels = instance ? instance.flatLevels : schema.flatLevels();
    this.levels.push(this);
  }

  /** Runs the pending statements that assign `name` (called on every read of a schema name). */
  settle(name: string): void {
    const setters = this.schema.setters().get(name);
    if (!setters) return;
    for (const i of setters) if (this.status[i] === 0) this.runAt(i);
  }

  runAll(): void {
    for (let i = 0; i < this.flat.length; i++) if (this.status[i] === 0) this.runAt(i);
  }

  private runAt(i: number): void {
    this.status[i] = 1;
    this.flat[i]!.exec(this.levels[this.flatLevels[i]!]!);
    this.status[i] = 2;
  }
}

/** A schema body statement and the names it assigns. */
export interface BodyStmt {
  readonly exec: Exec;
  readonly names: readonly string[];
}

/** A planned statement of a schema body (or any body): runs for its effect. */
export type Exec = (env: Env) => void;

export interface AttrDecl {
  readonly name: string;
  readonly optional: boolean;
  readonly type: RuntimeType;
  readonly span: Span;
}

export interface PlannedParam {
  readonly name: string;
  readonly type: RuntimeType | undefined;
  readonly default: ((env: Env) => Value) | undefined;
}

export interface IndexSignature {
  readonly keyType: RuntimeType;
  readonly valueType: RuntimeType;
  readonly keyName: string | undefined;
}

export interface PlannedCheck {
  /** Throws a KclError (E3M40) when the check fails. */
  readonly run: (env: Env) => void;
}

/** The config value an attribute assignment ends up with, given what the body computed. */
export function applyConfig(env: Env, name: string, computed: Value, span: Span | undefined): Value {
  if (!(env instanceof SchemaEnv)) return computed;
  const cfg = env.config;
  if (!cfg.has(name)) return computed;
  const given = cfg.get(name)!;
  const op = cfg.ops?.get(name) ?? ':';
  if (op === '=') return given;
  if (op === '+=') {
    if (Array.isArray(computed) && Array.isArray(given)) return computed.concat(given);
    return given;
  }
  // `:` unions the config value with the default: configs key by key, lists position by
  // position (`[z]` given over a default `[a, b]` is `[z, b]`), as the reference does.
  if (isConfig(computed) && isConfig(given)) return unionValues(computed, given, env.st, span, false);
  if (Array.isArray(computed) && Array.isArray(given)) return unionValues(computed, given, env.st, span, false);
  return given;
}

let nextSchemaId = 0;

export class SchemaType implements SchemaTypeRef {
  readonly __kcl = 'SchemaType' as const;
  readonly instances: SchemaInstance[] = [];
  readonly id = nextSchemaId++;
  /** Every declared attribute, parents and mixins included, in output order. */
  readonly attrs = new Map<string, AttrDecl>();
  parent: SchemaType | undefined;
  /** `schema B(B)`: compiles, but no instance can be made (a runtime error, as in the reference). */
  inheritsItself = false;
  mixins: SchemaType[] = [];
  /** A rule's parent rules (`rule R(P, Q)`): their conditions hold before its own are tried. */
  ruleParents: SchemaType[] = [];
  params: PlannedParam[] = [];
  body: BodyStmt[] = [];
  private flatCache: BodyStmt[] | undefined;
  private levelsCache: number[] | undefined;
  private settersCache: Map<string, number[]> | undefined;
  checks: PlannedCheck[] = [];
  indexSignature: IndexSignature | undefined;

  constructor(
    readonly name: string,
    readonly span: Span,
    readonly isMixin: boolean,
    readonly isProtocol: boolean,
    readonly isRule: boolean,
    /** The module the schema is declared in: its body reads that module's globals. */
    readonly owner: ModuleOwner,
  ) {}

  get pkgpath(): string {
    return this.owner.pkgpath;
  }

  isSuperOf(other: SchemaTypeRef): boolean {
    for (let t: SchemaType | undefined = other as SchemaType; t; t = t.parent) if (t === this) return true;
    return false;
  }

  /** Index signatures are inherited. */
  signature(): IndexSignature | undefined {
    for (let t: SchemaType | undefined = this; t; t = t.parent) if (t.indexSignature) return t.indexSignature;
    return undefined;
  }

  /**
   * A failed check says where the instance was made for a config expression (`S {...}`), not
   * for a call (`fromCall`: `S()`), whose failures the reference shows at the check line only.
   */
  instantiate(env: Env, config: KDict, args: Value[], kwargs: ReadonlyMap<string, Value>, span: Span | undefined, fromCall = false): SchemaInstance {
    const st = env.st;
    st.step();
    for (let t: SchemaType | undefined = this; t; t = t.parent) {
      if (t.inheritsItself) throw evalError(`schema '${t.name}' inherits from itself`, span);
    }
    st.enter(span);
    try {
      return this.build(env, config, args, kwargs, span, fromCall ? undefined : span, st);
    } finally {
      st.leave();
    }
  }

  /**
   * A mixin's value for an attribute this schema declares again is checked against this
   * schema's type (the mixin's body checked it against its own), as in the reference.
   */
  private checkMixinValues(attrs: Map<string, Value>, frame: Env): void {
    for (const m of this.mixins) {
      for (const [name, decl] of m.attrs) {
        const own = this.attrs.get(name);
        const v = attrs.get(name);
        if (!own || own === decl || v === undefined || v === null || v === UNDEFINED) continue;
        const checked = own.type.check(v, frame, decl.span);
        // Reported at the mixin's declaration, where the reference's check fails.
        if (checked === NO_MATCH) throw locatedError(evalError(`expected ${own.type.name}, got ${describeGot(v)}`, decl.span));
        attrs.set(name, checked);
      }
    }
  }

  private build(env: Env, config: KDict, args: Value[], kwargs: ReadonlyMap<string, Value>, span: Span | undefined, instanceSpan: Span | undefined, st: RunState): SchemaInstance {
    // A mixin or protocol can be instantiated like any schema, as in the reference.
    const argFrame = st.rootOf(this.owner).childNamed(this.bindArgs(env, args, kwargs, span));
    const attrs = new Map<string, Value>();
    // Declared attributes take their output slots up front, in declaration order.
    for (const name of this.attrs.keys()) attrs.set(name, UNDEFINED);
    const frame = new SchemaEnv(argFrame, attrs, this, config, instanceSpan);
    // Each parent's body reads its own arguments, bound from the same call (its own defaults,
    // not the child's), and its own module's globals, as in the reference.
    for (let t = this.parent; t; t = t.parent) {
      // A frame per level per instance: work the program's text sets, counted like a call.
      st.step();
      const parentArgs = st.rootOf(t.owner).childNamed(t.bindParentArgs(env, args, kwargs));
      new SchemaEnv(parentArgs, attrs, this, config, instanceSpan, frame);
    }
    frame.runAll();
    this.checkMixinValues(attrs, frame);
    // Every entry of the config is looked at (and checked against the index signature).
    st.step(config.size);
    for (const [key, value] of config) {
      if (this.attrs.has(key) || attrs.has(key)) {
        // A declared attribute no statement assigned (a mixin or protocol declaration).
        if (attrs.get(key) === UNDEFINED && !this.setters().has(key)) attrs.set(key, value);
        continue;
      }
      if (this.isRule) {
        // A rule's config only gives names to its checks.
        attrs.set(key, value);
        continue;
      }
      const sig = this.signature();
      if (!sig) {
        throw compileError(`Cannot add member '${key}' to schema '${this.name}'`, span);
      }
      if (sig.keyType.check(key, frame, span) === NO_MATCH) {
        throw typeError(`expected schema index signature key type ${sig.keyType.name}, got '${key}'`, span);
      }
      attrs.set(key, checkOrThrow(sig.valueType, value, frame, span));
    }
    for (const decl of this.attrs.values()) {
      if (decl.optional) continue;
      const v = attrs.get(decl.name);
      if (v === undefined || v === null || v === UNDEFINED) {
        // What the reference's checker can see (`S {}` without a required key) was refused at
        // compile time; what is left fails here, as in the reference.
        throw evalError(`attribute '${decl.name}' of ${this.name} is required and can't be None or Undefined`, span);
      }
    }
    this.runChecks(frame);
    const instance = new SchemaInstance(this, this.signature()?.keyName !== undefined ? lastSignatureEntryFirst(this, attrs) : attrs);
    instance.builtFrom = config;
    // A child's instance is also one of its parents' (`Parent.instances()` lists it), as in the reference.
    for (let t: SchemaType | undefined = this; t; t = t.parent) t.instances.push(instance);
    st.checkContainer('dict', attrs.size, span);
    return instance;
  }

  private bindArgs(env: Env, args: Value[], kwargs: ReadonlyMap<string, Value>, span: Span | undefined): Map<string, Value> {
    const vars = new Map<string, Value>();
    if (args.length > this.params.length) {
      throw kclError('E2L23', `"${this.name}" takes ${this.params.length} positional argument(s) but ${args.length} were given`, span);
    }
    this.params.forEach((p, i) => {
      let v: Value | undefined = i < args.length ? args[i] : kwargs.get(p.name);
      if (v === undefined) v = p.default ? p.default(env) : UNDEFINED;
      vars.set(p.name, p.type ? checkOrThrow(p.type, v, env, span) : v);
    });
    for (const k of kwargs.keys()) {
      if (!this.params.some((p) => p.name === k)) {
        throw kclError('E2L23', `"${this.name}" got an unexpected keyword argument '${k}'`, span);
      }
    }
    return vars;
  }

  /**
   * The arguments a parent level sees: the child's call passed on as written, positional ones
   * by position and keywords by name, ignoring those it does not declare; what is missing takes
   * the parent's default, or None. The reference checks no types here (its checker did, for the
   * schema called).
   */
  private bindParentArgs(env: Env, args: Value[], kwargs: ReadonlyMap<string, Value>): Map<string, Value> {
    const vars = new Map<string, Value>();
    this.params.forEach((p, i) => {
      let v: Value | undefined = i < args.length ? args[i] : kwargs.get(p.name);
      if (v === undefined) v = p.default ? p.default(env) : null;
      vars.set(p.name, v);
    });
    return vars;
  }

  /**
   * For each statement of `flatBody()`, the inheritance level whose arguments it reads: 0 for
   * this schema's body and its mixins', 1 for the parent's (and the parent's mixins'), and so on.
   */
  flatLevels(): readonly number[] {
    if (!this.levelsCache) {
      const out: number[] = [];
      if (this.parent) for (const l of this.parent.flatLevels()) out.push(l + 1);
      for (let i = 0; i < this.body.length; i++) out.push(0);
      for (const m of this.mixins) for (let i = 0; i < m.flatBody().length; i++) out.push(0);
      this.levelsCache = out;
    }
    return this.levelsCache;
  }

  /** Parent body, own body, then mixins: the order statements run in. */
  flatBody(): readonly BodyStmt[] {
    if (!this.flatCache) {
      const out: BodyStmt[] = [];
      if (this.parent) out.push(...this.parent.flatBody());
      out.push(...this.body);
      for (const m of this.mixins) out.push(...m.flatBody());
      this.flatCache = out;
    }
    return this.flatCache;
  }

  setters(): Map<string, number[]> {
    if (!this.settersCache) {
      const map = new Map<string, number[]>();
      this.flatBody().forEach((b, i) => {
        for (const n of b.names) {
          const list = map.get(n);
          if (list) list.push(i);
          else map.set(n, [i]);
        }
      });
      this.settersCache = map;
    }
    return this.settersCache;
  }

  private runChecks(frame: SchemaEnv): void {
    // Parent rules first, in the order written, each with its own parents: as in the reference,
    // a child rule holds only if every rule it names holds (and the first failure is reported).
    for (const parent of this.ruleParents) parent.runChecks(frame);
    // Unlike its body, a parent's checks run in the child's frames (the child's arguments), as
    // in the reference.
    this.parent?.runChecks(frame);
    for (const mixin of this.mixins) mixin.runChecks(frame);
    const keyName = this.indexSignature?.keyName;
    if (keyName === undefined) {
      for (const check of this.checks) check.run(frame);
      return;
    }
    // With a named index signature (`[k: str]: T`), the checks run once per entry the signature
    // holds, with `k` bound to its key (not at all when it holds none), as in the reference.
    for (const key of frame.vars.keys()) {
      if (this.attrs.has(key) || this.isDeclared(key)) continue;
      const perKey = frame.childNamed(new Map([[keyName, key]]));
      for (const check of this.checks) check.run(perKey);
    }
  }

  private isDeclared(name: string): boolean {
    for (let t: SchemaType | undefined = this; t; t = t.parent) if (t.attrs.has(name)) return true;
    return false;
  }
}

/**
 * The reference outputs the entries of a named index signature (`[k: str]: T`) with the last
 * one first: `{a, b, c}` comes out as `c, a, b` (after the declared attributes).
 */
function lastSignatureEntryFirst(schema: SchemaType, attrs: Map<string, Value>): Map<string, Value> {
  const declared: [string, Value][] = [];
  const extra: [string, Value][] = [];
  for (const entry of attrs) {
    let isDeclared = false;
    for (let t: SchemaType | undefined = schema; t && !isDeclared; t = t.parent) isDeclared = t.attrs.has(entry[0]);
    (isDeclared ? declared : extra).push(entry);
  }
  if (extra.length < 2) return attrs;
  return new Map([...declared, extra[extra.length - 1]!, ...extra.slice(0, -1)]);
}

/** `instance | other`: rebuild from the original config unioned with the new one. */
export function unionIntoSchema(left: SchemaInstance, right: Value, st: RunState, span: Span | undefined): Value {
  const schema = left.schema as SchemaType;
  let extra: KDict;
  if (right instanceof KDict) extra = right;
  // An instance contributes the config it was built from, with its entry operators.
  else if (right instanceof SchemaInstance) extra = right.builtFrom ?? new KDict(right.attrs);
  else return right;
  if (!schema.signature()) {
    for (const key of extra.keys()) {
      if (!schema.attrs.has(key) && !left.attrs.has(key)) {
        throw evalError(`No attribute named '${key}' in the schema '${schema.name}'`, span);
      }
    }
  }
  const base = left.builtFrom ?? new KDict(new Map(left.attrs));
  // Conflicts are judged against the instance's current values, as the reference does...
  unionValues(new KDict(left.attrs), extra, st, span, true);
  // ...then the instance is rebuilt so derived attributes and checks see the new values.
  const merged = unionValues(copyDict(base), extra, st, span, false) as KDict;
  return schema.instantiate(st.rootOf(schema.owner), merged, [], new Map(), span);
}
