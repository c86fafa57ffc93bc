/**
 * Small helpers for JSON data as the engine holds it (parsed reviews, policy outputs): which values
 * are JSON objects, what another value held at the same place, JSON pointer tokens, and setting
 * a key that may be `__proto__` without touching the prototype.
 */

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What `before` holds at `key`: its own member of that name when it is an object, its item at that
 * index when it is a list, else undefined. The walks that compare an output with its input
 * (output-check.ts, run-policy.ts) follow the input down the output's path with it.
 */
export function partAt(before: unknown, key: string | number): unknown {
  if (typeof key === 'number') return Array.isArray(before) ? before[key] : undefined;
  return isJsonObject(before) && Object.hasOwn(before, key) ? before[key] : undefined;
}

/**
 * A copy of `source`'s own members but those named in `left`, `__proto__` kept as data. A loop,
 * not `{ a, b, ...rest }`: V8 copies rest properties on a slow path, and the callers run on both
 * sides of every review's hand-off to a policy worker (contract.ts, pool/protocol.ts).
 */
export function ownMembersExcept(source: Readonly<Record<string, unknown>>, left: ReadonlySet<string>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key in source) {
    if (!left.has(key) && Object.hasOwn(source, key)) setOwn(copy, key, source[key]);
  }
  return copy;
}

/** RFC 6901: a key as a JSON pointer token, `~` as `~0` and `/` as `~1`. */
export function escapePointerToken(key: string): string {
  if (key.indexOf('/') === -1 && key.indexOf('~') === -1) return key;
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** RFC 6901: the key a JSON pointer token names (`~1` is `/`, then `~0` is `~`). */
export function unescapePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** `target[key] = value`, where `__proto__` (an ordinary key in JSON data) stays an own property. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
