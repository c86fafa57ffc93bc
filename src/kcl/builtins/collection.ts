/**
 * The `collection` system module: `union_all(list)` folds a list with KCL's `|` union (dicts
 * merged key by key, recursively; lists merged by index; otherwise the right side wins).
 * kcl-lib 0.13.2 declares the function but fails at run time ("unknown
 * kcl_collection_union_all"); kclguard implements what the KCL documentation describes.
 */
import type { BuiltinContext } from '../builtin-context.js';
import { KDict, KModule, SchemaInstance, type Value } from '../value.js';
import { member } from './args.js';

/** Each union copies its left side: charged per element, so folding many big dicts is bounded. */
export function unionValues(left: Value, right: Value, ctx: BuiltinContext): Value {
  if (left instanceof KDict && right instanceof KDict) {
    ctx.checkSize(left.size + right.size);
    ctx.step(left.size + right.size);
    const out = new KDict(new Map(left.entries));
    for (const [k, v] of right) {
      const existing = out.get(k);
      out.set(k, existing === undefined ? v : unionValues(existing, v, ctx));
    }
    return out;
  }
  if (left instanceof SchemaInstance && right instanceof KDict) {
    ctx.checkSize(left.attrs.size + right.size);
    ctx.step(left.attrs.size + right.size);
    const attrs = new Map(left.attrs);
    for (const [k, v] of right) {
      const existing = attrs.get(k);
      attrs.set(k, existing === undefined ? v : unionValues(existing, v, ctx));
    }
    return new SchemaInstance(left.schema, attrs);
  }
  if (Array.isArray(left) && Array.isArray(right)) {
    const n = Math.max(left.length, right.length);
    ctx.checkSize(n);
    ctx.step(n);
    const out: Value[] = [];
    for (let i = 0; i < n; i++) {
      if (i >= right.length) out.push(left[i]);
      else if (i >= left.length) out.push(right[i]);
      else out.push(unionValues(left[i], right[i], ctx));
    }
    return out;
  }
  return right;
}

export function collectionModule(): KModule {
  return new KModule(
    'collection',
    new Map<string, Value>([
      member('collection', 'union_all', ['num'], (a) => {
        const items = a.list(0);
        a.ctx.step(items.length);
        if (items.length === 0) return new KDict();
        return items.slice(1).reduce<Value>((acc, v) => unionValues(acc, v, a.ctx), items[0]);
      }),
    ]),
  );
}
