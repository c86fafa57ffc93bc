/**
 * The `collection` system module: `union_all(list)` folds a list with KCL's `|` union (dicts
 * merged key by key, recursively; lists merged by index; otherwise the right side wins).
 * kcl-lib 0.13.2 declares the function but fails at run time ("unknown
 * kcl_collection_union_all"); kclguard implements what the KCL documentation describes.
 */
import { KDict, KModule, SchemaInstance, type Value } from '../value.js';
import { member } from './args.js';

export function unionValues(left: Value, right: Value): Value {
  if (left instanceof KDict && right instanceof KDict) {
    const out = new KDict(new Map(left.entries));
    for (const [k, v] of right) {
      const existing = out.get(k);
      out.set(k, existing === undefined ? v : unionValues(existing, v));
    }
    return out;
  }
  if (left instanceof SchemaInstance && right instanceof KDict) {
    const attrs = new Map(left.attrs);
    for (const [k, v] of right) {
      const existing = attrs.get(k);
      attrs.set(k, existing === undefined ? v : unionValues(existing, v));
    }
    return new SchemaInstance(left.schema, attrs);
  }
  if (Array.isArray(left) && Array.isArray(right)) {
    const n = Math.max(left.length, right.length);
    const out: Value[] = [];
    for (let i = 0; i < n; i++) {
      if (i >= right.length) out.push(left[i]);
      else if (i >= left.length) out.push(right[i]);
      else out.push(unionValues(left[i], right[i]));
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
        return items.slice(1).reduce<Value>((acc, v) => unionValues(acc, v), items[0]);
      }),
    ]),
  );
}
