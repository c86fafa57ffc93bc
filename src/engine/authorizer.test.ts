import { describe, expect, it } from '@jest/globals';
import { AuthorityUnavailableError, QuestionRefusedError } from './answer-cache.js';
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
  it('asks for the custom verb first, then the request verb', async () => {
    const { authorizer, calls } = recording((a) => a.verb === 'create');
    expect(await authorizeEffect(authorizer, sa, request({ subResource: 'status' }), 'mutate')).toBe(true);
    expect(calls.map((c) => c.verb)).toEqual(['mutate', 'create']);
    expect(calls[1]).toEqual({ verb: 'create', group: '', resource: 'pods', subresource: 'status', namespace: 'team-a', name: 'web' });
  });

  it('stops at the custom verb when it is allowed, and denies when neither is', async () => {
    const allowValidate = recording((a) => a.verb === 'validate');
    expect(await authorizeEffect(allowValidate.authorizer, sa, request(), 'validate')).toBe(true);
    expect(allowValidate.calls).toHaveLength(1);
    const none = recording(() => false);
    expect(await authorizeEffect(none.authorizer, sa, request(), 'validate')).toBe(false);
    expect(none.calls.map((c) => c.verb)).toEqual(['validate', 'create']);
  });
});

describe('the attributes an effect is asked with', () => {
  const on = (resource: string, subResource?: string) =>
    request({ operation: 'UPDATE', resource: { group: resource.includes('/') ? resource.split('/')[0]! : '', version: 'v1', resource: resource.split('/').pop()! }, ...(subResource ? { subResource } : {}) });

  it("asks a Pod's ephemeral containers and resize as the Pod for validate and mutate, and as themselves for the request's verb", () => {
    for (const sub of ['ephemeralcontainers', 'resize']) {
      expect(requestAttributes(on('pods', sub), 'validate').subresource).toBe('');
      expect(requestAttributes(on('pods', sub), 'mutate').subresource).toBe('');
      // `update` on pods does not let anyone add a debug container: the subresource is asked.
      expect(requestAttributes(on('pods', sub), 'update').subresource).toBe(sub);
    }
    expect(requestAttributes(on('pods', 'status'), 'validate').subresource).toBe('status');
    expect(requestAttributes(on('apps/deployments', 'scale'), 'validate').subresource).toBe('scale');
    expect(requestAttributes(on('example.com/pods', 'ephemeralcontainers'), 'validate').subresource).toBe('ephemeralcontainers');
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
    const unreachable = new Error('apiserver unreachable');
    const inner = recording(() => {
      if (fail) throw unreachable;
      return true;
    });
    const cached = cachingAuthorizer(inner.authorizer);
    // The authorizer's own failure, passed through: not a timeout or a cached answer.
    await expect(cached(sa, attrs)).rejects.toBe(unreachable);
    fail = false;
    // Failing now, with nothing known: this check fails at once, but asks again, and its
    // answer serves the next one.
    await expect(cached(sa, attrs)).rejects.toBeInstanceOf(AuthorityUnavailableError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cached(sa, attrs)).toBe(true);
    expect(inner.calls).toHaveLength(2);
  });

  it('fails a question the API server refuses on its own, without failing every other question as in an outage', async () => {
    // A tenant's lookup named with 3 MB (HTTP 413 for the review): before, the shared outage
    // state flipped, and every other question with no known answer failed at once.
    const refused = new QuestionRefusedError(413, 'request entity too large');
    const inner = recording((asked) => {
      if (asked.name === 'huge') throw refused;
      return true;
    });
    const cached = cachingAuthorizer(inner.authorizer);
    await expect(cached(sa, { ...attrs, name: 'huge' })).rejects.toBe(refused);
    expect(await cached(sa, { ...attrs, name: 'other' })).toBe(true);
    expect(await cached({ namespace: 'team-b', name: 'checker' }, attrs)).toBe(true);
    expect(inner.calls.map((c) => c.name)).toEqual(['huge', 'other', attrs.name]);
  });

  it('times out a hung call, forgets it so the next check asks again, and ignores its late answer', async () => {
    const releases: ((v: boolean) => void)[] = [];
    const inner = recording(() => new Promise<boolean>((r) => releases.push(r)));
    const cached = cachingAuthorizer(inner.authorizer, { callTimeoutMs: 20 });
    await expect(cached(sa, attrs)).rejects.toBeInstanceOf(AuthorizerTimeoutError);
    // The API server is now known to be failing: with nothing known, the check fails at once,
    // while the question goes out again.
    await expect(cached(sa, attrs)).rejects.toBeInstanceOf(AuthorityUnavailableError);
    expect(inner.calls).toHaveLength(2);
    releases[0]!(false);
    releases[1]!(true);
    await new Promise((resolve) => setImmediate(resolve));
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

describe('the effect check behind cachingAuthorizer', () => {
  /** An authorizer whose RBAC is `granted` verbs (namespace-wide) and which the test can break. */
  function cluster(granted: string[], namedGrants: { verb: string; name: string }[] = []) {
    const state = { outage: undefined as undefined | 'refuse' | 'hang' };
    const calls: AuthorizationAttributes[] = [];
    const authorizer: Authorizer = (_sa, attrs) => {
      calls.push(attrs);
      if (state.outage === 'refuse') return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      if (state.outage === 'hang') return new Promise<boolean>(() => undefined);
      return Promise.resolve(granted.includes(attrs.verb) || namedGrants.some((g) => g.verb === attrs.verb && g.name === attrs.name));
    };
    return { state, calls, authorizer };
  }
  const clock = () => {
    const c = { now: 1_000_000 };
    return { c, now: () => c.now };
  };

  it('asks the namespace-wide custom verb first: a least-privilege ServiceAccount costs one question for every object, cached as allowed', async () => {
    const { calls, authorizer } = cluster(['validate']);
    const { c, now } = clock();
    const cached = cachingAuthorizer(authorizer, { now, allowedTtlMs: 300_000, deniedTtlMs: 30_000 });
    for (const name of ['a', 'b', 'c']) expect(await authorizeEffect(cached, sa, request({ name }), 'validate')).toBe(true);
    expect(calls).toEqual([{ verb: 'validate', group: '', resource: 'pods', subresource: '', namespace: 'team-a', name: '' }]);
    c.now += 299_000;
    expect(await authorizeEffect(cached, sa, request({ name: 'd' }), 'validate')).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('caches the combined answer: a ServiceAccount allowed only by the request verb is not asked again after the denied TTL', async () => {
    const { calls, authorizer } = cluster(['create']);
    const { c, now } = clock();
    const cached = cachingAuthorizer(authorizer, { now, allowedTtlMs: 300_000, deniedTtlMs: 30_000 });
    const req = request();
    expect(await authorizeEffect(cached, sa, req, 'mutate')).toBe(true);
    expect(calls.map((a) => a.verb)).toEqual(['mutate', 'create']);
    c.now += 60_000;
    expect(await authorizeEffect(cached, sa, req, 'mutate')).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('honours a grant limited to the object name', async () => {
    const { calls, authorizer } = cluster([], [{ verb: 'validate', name: 'web' }]);
    const cached = cachingAuthorizer(authorizer);
    expect(await authorizeEffect(cached, sa, request({ name: 'web' }), 'validate')).toBe(true);
    expect(await authorizeEffect(cached, sa, request({ name: 'other' }), 'validate')).toBe(false);
    expect(calls.map((a) => `${a.verb}:${a.name}`)).toEqual(['validate:', 'create:', 'validate:web', 'validate:other', 'create:other']);
  });

  it('during an outage, uses the last known answers for the grace period at once, then fails', async () => {
    const { state, calls, authorizer } = cluster(['validate']);
    const none = cluster([]);
    const { c, now } = clock();
    const sources: string[] = [];
    const options = { now, allowedTtlMs: 300_000, deniedTtlMs: 30_000, outageGraceMs: 300_000, observer: { onServiceAccountCheck: (s: string) => sources.push(s) } };
    const allowed = cachingAuthorizer(authorizer, options);
    const noRights = cachingAuthorizer(none.authorizer, options);
    const req = request();
    expect(await authorizeEffect(allowed, sa, req, 'validate')).toBe(true);
    expect(await authorizeEffect(noRights, sa, req, 'validate')).toBe(false);

    state.outage = 'refuse';
    none.state.outage = 'refuse';
    c.now += 310_000; // past both TTLs, within the grace period
    expect(await authorizeEffect(allowed, sa, req, 'validate')).toBe(true);
    expect(await authorizeEffect(noRights, sa, req, 'validate')).toBe(false);
    // Now known to be failing: answered without waiting for the (background) refresh.
    expect(await authorizeEffect(allowed, sa, req, 'validate')).toBe(true);
    expect(sources).toEqual(['asked', 'asked', 'stale', 'stale', 'stale']);

    c.now += 300_000; // past the grace period
    await expect(authorizeEffect(allowed, sa, req, 'validate')).rejects.toBeInstanceOf(AuthorityUnavailableError);
    expect(sources.at(-1)).toBe('failed');

    // The API server answers again: the questions sent meanwhile end the outage, and checks
    // answer again, freshly.
    state.outage = undefined;
    const before = calls.length;
    await authorizeEffect(allowed, sa, req, 'validate').catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await authorizeEffect(allowed, sa, req, 'validate')).toBe(true);
    expect(calls.length).toBeGreaterThan(before);
    expect(sources.at(-1)).toMatch(/^(asked|cached)$/);
  });

  it('does not wait out a hung API server when a last known answer exists', async () => {
    const { state, authorizer } = cluster(['validate']);
    const { c, now } = clock();
    const cached = cachingAuthorizer(authorizer, { now, allowedTtlMs: 1_000, outageGraceMs: 300_000, staleAfterMs: 5, callTimeoutMs: 60_000 });
    const req = request();
    expect(await authorizeEffect(cached, sa, req, 'validate')).toBe(true);
    state.outage = 'hang';
    c.now += 2_000;
    // The first check waits staleAfterMs for the refresh, then uses the known answer.
    expect(await authorizeEffect(cached, sa, req, 'validate')).toBe(true);
  });

  it('answers "not allowed" for a new object when the ServiceAccount is known to hold neither verb namespace-wide', async () => {
    const { state, authorizer } = cluster([]);
    const { c, now } = clock();
    const cached = cachingAuthorizer(authorizer, { now });
    expect(await authorizeEffect(cached, sa, request({ name: 'seen' }), 'validate')).toBe(false);
    state.outage = 'refuse';
    c.now += 40_000;
    expect(await authorizeEffect(cached, sa, request({ name: 'never-seen' }), 'validate')).toBe(false);
  });

  it('fails when nothing is known about the ServiceAccount, at once once the outage is known', async () => {
    const { state, calls, authorizer } = cluster(['validate']);
    state.outage = 'hang';
    const cached = cachingAuthorizer(authorizer, { callTimeoutMs: 10 });
    await expect(authorizeEffect(cached, sa, request(), 'validate')).rejects.toBeInstanceOf(AuthorizerTimeoutError);
    await expect(authorizeEffect(cached, { ...sa, name: 'other' }, request(), 'validate')).rejects.toBeInstanceOf(AuthorityUnavailableError);
    // Each check still sends its question: the first answer ends the outage.
    expect(calls).toHaveLength(2);
  });

  it('during an outage, a ServiceAccount known to have no rights does not wait for the API server on a new object', async () => {
    const { state, authorizer } = cluster([]);
    const { c, now } = clock();
    const cached = cachingAuthorizer(authorizer, { now, callTimeoutMs: 10, staleAfterMs: 5 });
    expect(await authorizeEffect(cached, sa, request({ name: 'seen' }), 'validate')).toBe(false);
    state.outage = 'hang';
    c.now += 40_000;
    await expect(authorizeEffect(cached, { ...sa, name: 'unknown' }, request(), 'validate')).rejects.toBeInstanceOf(AuthorizerTimeoutError);
    // The outage is known now: answered from what is known, without waiting for any timeout.
    expect(await authorizeEffect(cached, sa, request({ name: 'new-1' }), 'validate')).toBe(false);
  });
});
