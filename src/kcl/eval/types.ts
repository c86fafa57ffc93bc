/**
 * Runtime type checks for annotated assignments, schema attributes, lambda parameters and
 * `as`. A type is planned once into a RuntimeType whose `check` returns the (possibly
 * converted) value, or NO_MATCH. Conversions follow the reference: a dict assigned to a
 * schema-typed name becomes an instance of that schema, an int assigned to float widens.
 */
import type { Type } from '../ast.js';
import { KclError } from '../diagnostics.js';
import type { Span } from '../span.js';
import { KDict, KFloat, KFunction, KUnit, SchemaInstance, UNDEFINED, typeName, type Value } from '../value.js';
import { typedDisplay, valuesEqual } from './interop.js';
import { typeError } from './errors.js';
import type { Env } from './env.js';
import type { SchemaType } from './schema.js';

export const NO_MATCH: unique symbol = Symbol('no-match');
export type CheckResult = Value | typeof NO_MATCH;

export interface RuntimeType {
  readonly name: string;
  /** True for schema types, whose check may build an instance (and fail doing so). */
  readonly converts?: boolean;
  /** `env` is needed to build schema instances from dicts. */
  check(v: Value, env: Env, span: Span | undefined): CheckResult;
}

/** How the planner resolves a NamedType: a schema, a type alias, or nothing. */
export interface TypeResolver {
  schema(name: string): (() => SchemaType) | undefined;
  alias(name: string): Type | undefined;
  /** The system module an imported name binds (`units` for `import units as u`), if any. */
  systemModuleName?(name: string): string | undefined;
}

const ANY: RuntimeType = { name: 'any', check: (v) => v };

function basic(name: 'int' | 'float' | 'str' | 'bool'): RuntimeType {
  switch (name) {
    case 'int':
      return { name, check: (v) => (typeof v === 'number' || typeof v === 'bigint' ? v : NO_MATCH) };
    case 'float':
      return {
        name,
        // An int satisfies float and keeps printing as an int, as in the reference.
        check: (v) => (v instanceof KFloat || typeof v === 'number' || typeof v === 'bigint' ? v : NO_MATCH),
      };
    case 'str':
      return { name, check: (v) => (typeof v === 'string' ? v : NO_MATCH) };
    case 'bool':
      return { name, check: (v) => (typeof v === 'boolean' ? v : NO_MATCH) };
  }
}

/** None and Undefined satisfy every type (attributes are nullable; `?` only governs "required"). */
function nullable(t: RuntimeType): RuntimeType {
  return {
    name: t.name,
    converts: t.converts,
    check: (v, env, span) => (v === null || v === UNDEFINED ? v : t.check(v, env, span)),
  };
}

export function planType(t: Type, resolver: TypeResolver, seen: Set<string> = new Set()): RuntimeType {
  return nullable(planInner(t, resolver, seen));
}

function planInner(t: Type, resolver: TypeResolver, seen: Set<string>): RuntimeType {
  switch (t.kind) {
    case 'AnyType':
      return ANY;
    case 'BasicType':
      return basic(t.name);
    case 'ListType': {
      if (!t.elem) return { name: '[]', check: (v) => (Array.isArray(v) ? v : NO_MATCH) };
      const elem = planType(t.elem, resolver, seen);
      return {
        name: `[${elem.name}]`,
        converts: elem.converts,
        check(v, env, span) {
          if (!Array.isArray(v)) return NO_MATCH;
          let out: Value[] | undefined;
          for (let i = 0; i < v.length; i++) {
            // Checking is work: a list shared many times over would otherwise be free to check.
            env.st.step();
            const r = elem.check(v[i]!, env, span);
            if (r === NO_MATCH) return NO_MATCH;
            if (r !== v[i]) (out ??= v.slice())[i] = r;
          }
          return out ?? v;
        },
      };
    }
    case 'DictType': {
      const key = t.key ? planType(t.key, resolver, seen) : ANY;
      const value = t.value ? planType(t.value, resolver, seen) : ANY;
      // `{str:}` (the common annotation) accepts every dict as it is: dict keys are always
      // strings and the values are not looked at, so only the steps of the walk remain.
      const acceptsEveryDict = (key === ANY || (t.key?.kind === 'BasicType' && t.key.name === 'str')) && value === ANY;
      return {
        name: `{${key.name}:${value.name}}`,
        converts: value.converts,
        check(v, env, span) {
          if (v instanceof SchemaInstance && value === ANY) return v;
          if (!(v instanceof KDict)) return NO_MATCH;
          if (acceptsEveryDict) {
            if (v.size > 0) env.st.step(v.size);
            return v;
          }
          let out: KDict | undefined;
          for (const [k, item] of v) {
            env.st.step();
            if (key !== ANY && key.check(k, env, span) === NO_MATCH) return NO_MATCH;
            const r = value.check(item, env, span);
            if (r === NO_MATCH) return NO_MATCH;
            if (r !== item) (out ??= new KDict(new Map(v.entries))).set(k, r);
          }
          return out ?? v;
        },
      };
    }
    case 'UnionType': {
      const members = t.types.map((m) => planType(m, resolver, seen));
      return {
        name: members.map((m) => m.name).join(' | '),
        converts: members.some((m) => m.converts),
        check(v, env, span) {
          // An exact match wins over a conversion (a dict stays a dict under `{str:}|S`).
          for (const m of members) {
            if (m.converts) continue;
            const r = m.check(v, env, span);
            if (r === v) return r;
          }
          // Then conversions in order; a schema that cannot take the dict is not a match.
          for (const m of members) {
            try {
              const r = m.check(v, env, span);
              if (r !== NO_MATCH) return r;
            } catch (e) {
              if (!(e instanceof KclError) || e.diagnostic.code.startsWith('K9')) throw e;
            }
          }
          return NO_MATCH;
        },
      };
    }
    case 'LiteralType': {
      // A unit literal type (`1Ki`) takes only that unit value, not the number it stands for.
      const { suffix } = t;
      if (suffix) return { name: t.raw, check: (v) => (v instanceof KUnit && v.value === t.value && v.suffix === suffix ? v : NO_MATCH) };
      const lit: Value = t.valueKind === 'float' ? new KFloat(t.value as number) : (t.value as Value);
      return { name: t.raw, check: (v, env) => (valuesEqual(v, lit, env.st) ? v : NO_MATCH) };
    }
    case 'FunctionType':
      return { name: 'function', check: (v) => (v instanceof KFunction ? v : NO_MATCH) };
    case 'NamedType': {
      const alias = resolver.alias(t.name);
      if (alias) {
        if (seen.has(t.name)) return ANY;
        return planInner(alias, resolver, new Set(seen).add(t.name));
      }
      const schema = resolver.schema(t.name);
      if (schema) return schemaType(t.name, schema);
      const dot = t.name.indexOf('.');
      if (dot > 0 && t.name.slice(dot + 1) === 'NumberMultiplier' && resolver.systemModuleName?.(t.name.slice(0, dot)) === 'units') {
        return namedBuiltin('number_multiplier');
      }
      return namedBuiltin(t.name);
    }
  }
}

function namedBuiltin(name: string): RuntimeType {
  switch (name) {
    case 'any':
      return ANY;
    case 'list':
      return { name, check: (v) => (Array.isArray(v) ? v : NO_MATCH) };
    case 'dict':
      return { name, check: (v) => (v instanceof KDict || v instanceof SchemaInstance ? v : NO_MATCH) };
    case 'number_multiplier':
      return { name, check: (v) => (v instanceof KUnit ? v : NO_MATCH) };
    default:
      return { name, check: (v) => (typeName(v) === name ? v : NO_MATCH) };
  }
}

function schemaType(name: string, get: () => SchemaType): RuntimeType {
  return {
    name,
    converts: true,
    check(v, env) {
      const schema = get();
      if (v instanceof SchemaInstance) return schema.isSuperOf(v.schema) ? v : NO_MATCH;
      // No instantiation span: errors of a converted instance point at its schema's checks.
      if (v instanceof KDict) return schema.instantiate(env, v, [], new Map(), undefined);
      return NO_MATCH;
    },
  };
}

/** Checks `v` against `t`, raising the reference's TypeError on mismatch. */
export function checkOrThrow(t: RuntimeType, v: Value, env: Env, span: Span | undefined): Value {
  const r = t.check(v, env, span);
  if (r === NO_MATCH) throw typeError(`expected ${t.name}, got ${describeGot(v)}`, span);
  return r;
}

export function describeGot(v: Value): string {
  return typedDisplay(v);
}
