import { describe, expect, it } from '@jest/globals';
import { authorizeEffect, AuthorizerTimeoutError, cachingAuthorizer, withTimeout, requestAttributes, type AuthorizationAttributes, type Authorizer } from './authorizer.js';
import type { ServiceAccountRef } from './model.js';
import { request } from './testing/fixtures.js';

const sa: ServiceAccountRef = { namespace: 'team-a', name: 'mutater' };

function recording(answer: (attrs: AuthorizationAttributes) => boolean | Promise<boolean>) {
  const calls: AuthorizationAttributes[] = [];
  const authorizer: Authorizer = async (_sa, attrs) => {
    calls.push(attrs);
    return answer(attrs);
  };
  return { authorizer, calls };
}

describe('authorizeEffect', () => {
  it('asks for the request verb first, then the custom verb', async () => {
    const { authorizer, calls } = recording((a) => a.verb === 'mutate');
    expect(await authorizeEffect(authorizer, sa, request({ subResource: 'status' }), 'mutate')).toBe(true);
    expect(calls.map((c) => c.verb)).toEqual(['create', 'mutate']);
    expect(calls[0]).toEqual({ verb: 'create', group: '', resource: 'pods', subresource: 'status', namespace: 'team-a', name: 'web' });
  });

  it('stops at the request verb when it is allowed, and denies when neither is', async () => {
    const allowCreate = recording((a) => a.verb === 'create');
    expect(await authorizeEffect(allowCreate.authorizer, sa, request(), 'validate')).toBe(true);
    expect(allowCreate.calls).toHaveLength(1);
    const none = recording(() => false);
    expect(await authorizeEffect(none.authorizer, sa, request(), 'validate')).toBe(false);
    expect(none.calls.map((c) => c.verb)).toEqual(['create', 'validate']);
  });
});

describe('cachingAuthorizer', () => {
  const attrs = requestAttributes(request(), 'create');

  it('reuses allowed answers for the allowed TTL and denied answers for the denied TTL', async () => {
    let now = 1_000;
    let allowed = true;
    const inner = recording(() => allowed);
    const cached = cachingAuthorizer(inner.authorizer, { allowedTtlMs: 300_000, deniedTtlMs: 30_000, now: () => now });
    expect(await cached(sa, attrs)).toBe(true);
    now += 299_999;
    allowed = false;
    expect(await cached(sa, attrs)).toBe(true);
    expect(inner.calls).toHaveLength(1);
    now += 2;
    expect(await cached(sa, attrs)).toBe(false);
    expect(inner.calls).toHaveLength(2);
    allowed = true;
    now += 29_999;
    expect(await cached(sa, attrs)).toBe(false);
    now += 2;
    expect(await cached(sa, attrs)).toBe(true);
    expect(inner.calls).toHaveLength(3);
  });

  it('keys on ServiceAccount and attributes', async () => {
    const inner = recording(() => true);
    const cached = cachingAuthorizer(inner.authorizer);
    await cached(sa, attrs);
    await cached({ ...sa, name: 'other' }, attrs);
    await cached(sa, { ...attrs, verb: 'update' });
    await cached(sa, attrs);
    expect(inner.calls).toHaveLength(3);
  });

  it('shares one call between concurrent identical checks', async () => {
    let release: (v: boolean) => void = () => undefined;
    const inner = recording(() => new Promise<boolean>((r) => (release = r)));
    const cached = cachingAuthorizer(inner.authorizer);
    const both = Promise.all([cached(sa, attrs), cached(sa, attrs)]);
    release(true);
    expect(await both).toEqual([true, true]);
    expect(inner.calls).toHaveLength(1);
  });

  it('does not cache failures', async () => {
    let fail = true;
    const inner = recording(() => {
      if (fail) throw new Error('apiserver unreachable');
      return true;
    });
    const cached = cachingAuthorizer(inner.authorizer);
    await expect(cached(sa, attrs)).rejects.toThrow();
    fail = false;
    expect(await cached(sa, attrs)).toBe(true);
    expect(inner.calls).toHaveLength(2);
  });

  it('times out a hung call, forgets it so the next check asks again, and ignores its late answer', async () => {
    const releases: ((v: boolean) => void)[] = [];
    const inner = recording(() => new Promise<boolean>((r) => releases.push(r)));
    const cached = cachingAuthorizer(inner.authorizer, { callTimeoutMs: 20 });
    await expect(cached(sa, attrs)).rejects.toBeInstanceOf(AuthorizerTimeoutError);
    const second = cached(sa, attrs);
    expect(inner.calls).toHaveLength(2);
    releases[0]!(false);
    releases[1]!(true);
    expect(await second).toBe(true);
    expect(await cached(sa, attrs)).toBe(true);
    expect(inner.calls).toHaveLength(2);
  });

  it('stays within maxEntries, evicting the oldest', async () => {
    const inner = recording(() => true);
    const cached = cachingAuthorizer(inner.authorizer, { maxEntries: 2 });
    await cached(sa, { ...attrs, name: 'a' });
    await cached(sa, { ...attrs, name: 'b' });
    await cached(sa, { ...attrs, name: 'c' });
    expect(cached.size()).toBe(2);
    await cached(sa, { ...attrs, name: 'a' });
    expect(inner.calls).toHaveLength(4);
  });
});

describe('withTimeout', () => {
  it('passes an answer through and rejects with AuthorizerTimeoutError when none comes', async () => {
    expect(await withTimeout(Promise.resolve(true), 50)).toBe(true);
    await expect(withTimeout(new Promise<boolean>(() => undefined), 10)).rejects.toBeInstanceOf(AuthorizerTimeoutError);
    await expect(withTimeout(Promise.resolve(true), 0)).rejects.toBeInstanceOf(AuthorizerTimeoutError);
  });
});
