/**
 * Runtime values of KCL.
 *
 * The representation is chosen for the hot path (a policy evaluates per admission request):
 * the common kinds are plain JavaScript values and need no allocation or unwrapping.
 *
 *   None        -> null
 *   Undefined   -> UNDEFINED (a unique object; omitted from output)
 *   bool        -> boolean
 *   int         -> number while a safe integer, bigint beyond ±(2^53 - 1) up to the i64
 *                  bounds (never both for one value: see int64.ts; compare with its helpers)
 *   float       -> KFloat (boxed, so 1 and 1.0 stay distinct; floats are rare in policies)
 *   str         -> string
 *   list        -> Value[] (JS array)
 *   dict        -> KDict (insertion-ordered Map with string keys)
 *   unit number -> KUnit (`1Gi`: number-multiplier; prints as its literal)
 *   schema      -> SchemaInstance
 *   function    -> KFunction (lambda closure or builtin)
 *   schema type -> SchemaType (the value a schema name evaluates to)
 *   module      -> KModule (`import regex` binds one)
 */

import type { ConfigEntryOp } from './ast.js';
import { floatToInt } from './int64.js';

export const UNDEFINED: { readonly __kcl: 'Undefined' } = Object.freeze({ __kcl: 'Undefined' as const });
export type UndefinedValue = typeof UNDEFINED;

export class KFloat {
  constructor(readonly value: number) {}
}

export class KUnit {
  /** `value` is the number before the suffix; `suffix` e.g. 'Gi', 'm', 'K'. */
  constructor(readonly value: number, readonly suffix: string, readonly multiplier: number) {}
  /** The int the unit number stands for (`1Gi` -> 1073741824), truncated like the reference. */
  toNumber(): number {
    return Math.trunc(this.value * this.multiplier);
  }
  /** `int(1Gi)`: like toNumber, saturating at the i64 bounds as the reference's f64 cast. */
  toInt(): number | bigint {
    return floatToInt(this.value * this.multiplier);
  }
  toString(): string {
    return `${this.value}${this.suffix}`;
  }
}

/**
 * Entry operators other than `:` (`=`, `+=`) by key, remembered so that a later union honours
 * them (eval/union.ts). Kept on the value itself: most configs have none, and a side table
 * keyed by every config (a WeakMap) cost a lookup per union and garbage-collector time.
 */
type EntryOps = Map<string, ConfigEntryOp> | undefined;

export class KDict {
  /** See EntryOps; only written while the dict is being built by its owner. */
  ops: EntryOps = undefined;
  /**
   * Host data this dict converts to exactly, recorded by a host's conversion cache with that
   * cache's mark (the engine's: src/engine/shared-conversion.ts). On the dict rather than in the
   * cache's own Map: an entry per converted dict was most of the cost of converting a large
   * object. The interpreter never reads, copies or writes either field.
   */
  hostData: object | undefined = undefined;
  hostMark = 0;
  constructor(readonly entries: Map<string, Value> = new Map()) {}
  get(key: string): Value | undefined {
    return this.entries.get(key);
  }
  set(key: string, value: Value): void {
    this.entries.set(key, value);
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
  delete(key: string): boolean {
    return this.entries.delete(key);
  }
  get size(): number {
    return this.entries.size;
  }
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }
  [Symbol.iterator](): IterableIterator<[string, Value]> {
    return this.entries[Symbol.iterator]();
  }
}

/**
 * A schema instance. `attrs` holds values in declaration order (parent attributes first), then
 * any extra keys an index signature admitted. The type describes checks and attribute types.
 */
export class SchemaInstance {
  /** See EntryOps. */
  ops: EntryOps = undefined;
  /**
   * The config the instance was built from (set by the evaluator's schema build): a union with
   * the instance starts again from it. On the instance rather than in a WeakMap per schema,
   * which cost an ephemeron per instance built.
   */
  builtFrom: KDict | undefined = undefined;
  constructor(
    readonly schema: SchemaTypeRef,
    readonly attrs: Map<string, Value>,
  ) {}
}

/**
 * What the evaluator knows about a schema type. Defined by the evaluator (src/kcl/eval/); only
 * the fields every module needs are named here, so builtins can print and compare instances.
 */
export interface SchemaTypeRef {
  readonly __kcl: 'SchemaType';
  readonly name: string;
  /** Package path, '__main__' for the main module. */
  readonly pkgpath: string;
  /** Every instance created so far in this run, for `instances()`. */
  readonly instances: SchemaInstance[];
}

export interface CallArgs {
  readonly args: Value[];
  /** Read only: calls without keywords share one empty map. */
  readonly kwargs: ReadonlyMap<string, Value>;
}

/** A callable: a lambda closure or a builtin. `call` throws a KclError on failure. */
export class KFunction {
  constructor(
    readonly name: string,
    readonly call: (args: CallArgs, ctx: unknown) => Value,
  ) {}
}

/** A system module bound by `import`: its members are functions and constants. */
export class KModule {
  constructor(readonly name: string, readonly members: Map<string, Value>) {}
}

export type Value =
  | null
  | UndefinedValue
  | boolean
  | number
  | bigint
  | KFloat
  | KUnit
  | string
  | Value[]
  | KDict
  | SchemaInstance
  | KFunction
  | SchemaTypeRef
  | KModule;

export function isUndefined(v: Value | undefined): boolean {
  return v === UNDEFINED || v === undefined;
}

/** `None` or `Undefined`. */
export function isNullish(v: Value | undefined): boolean {
  return v === null || v === UNDEFINED || v === undefined;
}

export function isSchemaType(v: Value): v is SchemaTypeRef {
  return typeof v === 'object' && v !== null && (v as SchemaTypeRef).__kcl === 'SchemaType';
}

/** The KCL type name used in messages and by `typeof`. */
export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  if (v === UNDEFINED) return 'UndefinedType';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
  }
  if (Array.isArray(v)) return 'list';
  if (v instanceof KDict) return 'dict';
  if (v instanceof KFloat) return 'float';
  if (v instanceof KUnit) return 'number_multiplier';
  if (v instanceof SchemaInstance) return v.schema.name;
  if (v instanceof KFunction) return 'function';
  if (v instanceof KModule) return 'module';
  if (isSchemaType(v)) return 'schema';
  return 'unknown';
}

/** KCL truthiness (Python's): empty containers, 0, 0.0, '', None and Undefined are false. */
export function truthy(v: Value): boolean {
  if (v === null || v === UNDEFINED) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof KDict) return v.size > 0;
  if (v instanceof KFloat) return v.value !== 0;
  if (v instanceof KUnit) return v.value !== 0;
  if (v instanceof SchemaInstance) return v.attrs.size > 0;
  return true;
}
