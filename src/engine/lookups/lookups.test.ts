/**
 * The `kube` module's answers: what a policy may read (declared kinds, its namespace, its
 * ServiceAccount's get/list), what it gets (objects as the API shows them, bounded), and how
 * every refusal is a coded failure, never a silently empty answer.
 */
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { cachingAuthorizer, type AuthorizationAttributes, type Authorizer } from '../authorizer.js';
import type { PolicyDefinition } from '../model.js';
import { parsePolicy } from '../schema.js';
import { clusterKclRun, kclRun } from '../testing/fixtures.js';
import { parseLookupCall, parseSelectorText } from './kube-module.js';
import { lookupClient } from './lookup-client.js';
import { StaticLookupSource, type LookupSource } from './lookup-source.js';
import { Lookups, type LookupAnswer, type LookupsOptions } from './lookups.js';

type Json = Record<string, unknown>;

const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };

function ingress(namespace: string, name: string, host: string, labels: Record<string, string> = {}): Json {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { namespace, name, labels, managedFields: [{ manager: 'kubectl' }] }, spec: { rules: [{ host }] } };
}

const OBJECTS = [
  ingress('team-b', 'shop', 'shop.example.com', { app: 'shop' }),
  ingress('team-a', 'web', 'web.example.com', { app: 'web', tier: 'front' }),
  ingress('team-a', 'api', 'api.example.com', { app: 'api' }),
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
];

const kindInfo = ({ kind }: { kind: string }) => ({ resource: `${kind.toLowerCase()}${kind.endsWith('s') ? 'es' : 's'}`, namespaced: kind !== 'Namespace' });

function definition(doc: Json): PolicyDefinition {
  const parsed = parsePolicy(doc);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}

const teamPolicy = definition(kclRun('unique-host', 'team-a', { source: 'x = 1', serviceAccountName: 'reader', lookups: [INGRESS, { apiVersion: 'v1', kind: 'Namespace' }] }));
const clusterPolicy = definition(clusterKclRun('unique-host', { source: 'x = 1', lookups: [INGRESS, { apiVersion: 'v1', kind: 'Namespace' }] }));
const clusterPolicyWithSa = definition(
  clusterKclRun('unique-host-sa', { source: 'x = 1', serviceAccountName: 'reader', serviceAccountNamespace: 'kclguard', lookups: [INGRESS] }),
);

function lookups(options: Partial<LookupsOptions> = {}): { responder: Lookups; asked: AuthorizationAttributes[]; events: string[] } {
  const asked: AuthorizationAttributes[] = [];
  const events: string[] = [];
  const authorizer: Authorizer = async (_sa, attributes) => {
    asked.push(attributes);
    return true;
  };
  const responder = new Lookups({
    source: new StaticLookupSource(OBJECTS, kindInfo),
    authorizer,
    syncAuthorizer: (_sa, attributes) => {
      asked.push(attributes);
      return true;
    },
    observer: { onLookup: (policy, verb, outcome) => events.push(`${policy} ${verb} ${outcome}`) },
    ...options,
  });
  return { responder, asked, events };
}

const list = (args: unknown[]) => ({ function: 'list', args });
const get = (args: unknown[]) => ({ function: 'get', args });

function names(answer: LookupAnswer): string[] {
  if (!answer.ok) throw new Error(`${answer.code} ${answer.message}`);
  return (answer.value as Json[]).map((o) => `${(o.metadata as Json).namespace}/${(o.metadata as Json).name}`);
}

function codeOf(answer: LookupAnswer): string {
  return answer.ok ? 'ok' : answer.code;
}

afterEach(() => {
  jest.useRealTimers();
});

describe('the kube module arguments', () => {
  test.each([
    ['app=web', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }],
    ['app==web,!legacy', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }, { key: 'legacy', operator: 'DoesNotExist' }] }],
    ['tier in (a, b),env notin (dev)', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'env', operator: 'NotIn', values: ['dev'] }] }],
    ['example.com/team, app!=x', { matchExpressions: [{ key: 'example.com/team', operator: 'Exists' }, { key: 'app', operator: 'NotIn', values: ['x'] }] }],
    ['', {}],
  ])('parses the selector %j', (text, expected) => {
    expect(parseSelectorText(text)).toEqual(expected);
  });

  test.each(['app=', 'a b', 'app=web,', '=x', 'tier in (a,b', 'x'.repeat(5000)])('refuses the selector %j', (text) => {
    const parsed = parseSelectorText(text);
    if (text === 'app=') expect(parsed).toEqual({ matchExpressions: [{ key: 'app', operator: 'In', values: [''] }] });
    else expect(typeof parsed).toBe('string');
  });

  test.each([
    ['get', [1, 'Ingress', 'a', 'b'], 'E2G22'],
    ['get', ['v1', 'Pod', 'a', ''], 'E3M38'],
    ['get', ['v1', 'Pod', 'a', null], 'E2G22'],
    ['list', ['v1', 'Pod', 3], 'E2G22'],
    ['list', ['v1', 'Pod', 'a', 7], 'E3M38'],
    ['list', ['v1', 'Pod', 'a', { matchLabels: { a: 1 } }], 'E3M38'],
    ['list', ['v1', 'Pod', 'a', { selector: 'a=b' }], 'E3M38'],
    ['list', ['v1', 'Pod', 'a', { matchExpressions: [{ key: 'a', operator: 'In' }] }], 'E3M38'],
    ['watch', ['v1', 'Pod'], 'E2L23'],
  ])('kube.%s(%j) is %s', (fn, args, code) => {
    expect(parseLookupCall(fn, args)).toMatchObject({ code });
  });

  test('a dict selector and None for the namespace', () => {
    expect(parseLookupCall('list', ['v1', 'Pod', null, { matchLabels: { app: 'web' } }])).toEqual({
      verb: 'list',
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: '',
      selector: { matchLabels: { app: 'web' } },
    });
  });
});

describe('what a policy may read', () => {
  test('a kind not declared in spec.lookups is K9007, before any check or read', async () => {
    const { responder, asked } = lookups();
    expect(codeOf(await responder.answer(teamPolicy, list(['apps/v1', 'Deployment', 'team-a']), 1000))).toBe('K9007');
    // The version is part of the declaration: v1beta1 Ingress is another kind.
    expect(codeOf(await responder.answer(teamPolicy, list(['networking.k8s.io/v1beta1', 'Ingress', 'team-a']), 1000))).toBe('K9007');
    expect(asked).toEqual([]);
  });

  test('a KCLRun reads only its own namespace: another one, every one, or a cluster-scoped kind is K9008', async () => {
    const { responder, asked } = lookups();
    expect(codeOf(await responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-b']), 1000))).toBe('K9008');
    expect(codeOf(await responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress']), 1000))).toBe('K9008');
    expect(codeOf(await responder.answer(teamPolicy, get(['v1', 'Namespace', '', 'team-a']), 1000))).toBe('K9008');
    expect(asked).toEqual([]);
    expect(names(await responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a']), 1000))).toEqual(['team-a/api', 'team-a/web']);
  });

  test('a namespace or name no object can have finds nothing, and is never sent to the API server in a check', async () => {
    const { responder, asked } = lookups();
    const huge = 'x'.repeat(3_200_000);
    expect((await responder.answer(teamPolicy, get(['networking.k8s.io/v1', 'Ingress', 'team-a', huge]), 1000)) as unknown).toEqual({ ok: true, value: null, bytes: 4 });
    for (const name of ['.', '..', 'a/b', 'a%2Fb']) {
      expect(((await responder.answer(teamPolicy, get(['networking.k8s.io/v1', 'Ingress', 'team-a', name]), 1000)) as { value: unknown }).value).toBeNull();
    }
    for (const namespace of [huge, 'Team-A', 'team_a', 'a'.repeat(64)]) {
      expect(((await responder.answer(clusterPolicyWithSa, list(['networking.k8s.io/v1', 'Ingress', namespace]), 1000)) as { value: unknown }).value).toEqual([]);
      expect(((await responder.answer(clusterPolicyWithSa, get(['networking.k8s.io/v1', 'Ingress', namespace, 'web']), 1000)) as { value: unknown }).value).toBeNull();
    }
    expect(asked).toEqual([]);
    // A real name is still checked and read.
    expect(((await responder.answer(teamPolicy, get(['networking.k8s.io/v1', 'Ingress', 'team-a', 'web']), 1000)) as { value: { metadata: { name: string } } }).value.metadata.name).toBe('web');
    expect(asked).toHaveLength(1);
  });

  test("each read is authorized for the policy's ServiceAccount: list or get, on that resource and namespace", async () => {
    const { responder, asked } = lookups();
    await responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a']), 1000);
    await responder.answer(teamPolicy, get(['networking.k8s.io/v1', 'Ingress', 'team-a', 'web']), 1000);
    await responder.answer(clusterPolicyWithSa, list(['networking.k8s.io/v1', 'Ingress', '']), 1000);
    expect(asked).toEqual([
      { verb: 'list', group: 'networking.k8s.io', resource: 'ingresses', subresource: '', namespace: 'team-a', name: '' },
      { verb: 'get', group: 'networking.k8s.io', resource: 'ingresses', subresource: '', namespace: 'team-a', name: 'web' },
      { verb: 'list', group: 'networking.k8s.io', resource: 'ingresses', subresource: '', namespace: '', name: '' },
    ]);
  });

  test('what the ServiceAccount may not read is K9008, never an empty answer', async () => {
    const { responder } = lookups({ authorizer: async () => false, syncAuthorizer: () => false });
    const answer = await responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a']), 1000);
    expect(answer).toMatchObject({ ok: false, code: 'K9008' });
    expect(!answer.ok && answer.message).toContain('ServiceAccount team-a/reader may not list networking.k8s.io ingresses in team-a');
    expect(codeOf(responder.answerNow(teamPolicy, get(['networking.k8s.io/v1', 'Ingress', 'team-a', 'web']), 1000))).toBe('K9008');
  });

  test('a ServiceAccount check that fails or hangs is K9009', async () => {
    const failing = lookups({ authorizer: async () => Promise.reject(new Error('apiserver unavailable')) });
    expect(codeOf(await failing.responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a']), 1000))).toBe('K9009');
    jest.useFakeTimers();
    const hanging = lookups({ authorizer: () => new Promise(() => undefined) });
    const pending = hanging.responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a']), 250);
    await jest.advanceTimersByTimeAsync(250);
    expect(codeOf(await pending)).toBe('K9009');
  });

  test("one policy's cached answer never serves another identity's read", async () => {
    // Same query, same cache: the ServiceAccount team-a/reader may list, team-a/nobody may not,
    // and kclguard/reader (another namespace, same name) is a different identity again.
    const who: string[] = [];
    const authorizer = cachingAuthorizer(async (sa) => {
      who.push(`${sa.namespace}/${sa.name}`);
      return sa.namespace === 'team-a' && sa.name === 'reader';
    });
    const { responder } = lookups({ authorizer });
    const nobody = definition(kclRun('same-query', 'team-a', { source: 'x = 1', serviceAccountName: 'nobody', lookups: [INGRESS] }));
    const query = list(['networking.k8s.io/v1', 'Ingress', 'team-a']);
    expect(codeOf(await responder.answer(teamPolicy, query, 1000))).toBe('ok');
    expect(codeOf(await responder.answer(nobody, query, 1000))).toBe('K9008');
    expect(codeOf(await responder.answer(clusterPolicyWithSa, query, 1000))).toBe('K9008');
    expect(codeOf(await responder.answer(teamPolicy, query, 1000))).toBe('ok');
    expect(who).toEqual(['team-a/reader', 'team-a/nobody', 'kclguard/reader']);
  });

  test("a ClusterKCLRun acting with kclguard's own authority is not checked", async () => {
    const { responder, asked } = lookups();
    expect(names(await responder.answer(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress', '']), 1000))).toEqual(['team-a/api', 'team-a/web', 'team-b/shop']);
    expect(asked).toEqual([]);
  });

  test('in-process answers need a synchronous check: without one, K9009', () => {
    const { responder } = lookups({ syncAuthorizer: undefined });
    expect(codeOf(responder.answerNow(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a']), 1000))).toBe('K9009');
    expect(names(responder.answerNow(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a']), 1000))).toEqual(['team-a/api', 'team-a/web']);
  });
});

describe('what a lookup returns', () => {
  test('get: the object as the API shows it (no managedFields), or None', async () => {
    const { responder } = lookups();
    const found = await responder.answer(teamPolicy, get(['networking.k8s.io/v1', 'Ingress', 'team-a', 'web']), 1000);
    expect(found).toMatchObject({ ok: true, value: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'team-a' } } });
    expect(found.ok && (found.value as { metadata: Json }).metadata.managedFields).toBeUndefined();
    expect(await responder.answer(teamPolicy, get(['networking.k8s.io/v1', 'Ingress', 'team-a', 'nope']), 1000)).toMatchObject({ ok: true, value: null });
  });

  test('list: by namespace then name, filtered by a label selector', async () => {
    const { responder } = lookups();
    expect(names(await responder.answer(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress', '', 'app in (web,shop)']), 1000))).toEqual(['team-a/web', 'team-b/shop']);
    expect(names(await responder.answer(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a', { matchLabels: { tier: 'front' } }]), 1000))).toEqual(['team-a/web']);
  });

  test('namespaces for cluster-scoped and namespaced kinds', async () => {
    const { responder } = lookups();
    expect(codeOf(await responder.answer(clusterPolicy, get(['v1', 'Namespace', 'team-a', 'team-a']), 1000))).toBe('E3M38');
    expect(codeOf(await responder.answer(clusterPolicy, get(['networking.k8s.io/v1', 'Ingress', '', 'web']), 1000))).toBe('E3M38');
    expect(await responder.answer(clusterPolicy, get(['v1', 'Namespace', null, 'team-a']), 1000)).toMatchObject({ ok: true, value: { metadata: { name: 'team-a' } } });
  });

  test('more objects or bytes than the limits is K9004: never a truncated answer', async () => {
    expect(codeOf(await lookups({ limits: { maxObjects: 2 } }).responder.answer(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress', '']), 1000))).toBe('K9004');
    expect(codeOf(await lookups({ limits: { maxBytes: 300 } }).responder.answer(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress', '']), 1000))).toBe('K9004');
    expect(codeOf(await lookups({ limits: { maxBytes: 100 } }).responder.answer(clusterPolicy, get(['networking.k8s.io/v1', 'Ingress', 'team-a', 'web']), 1000))).toBe('K9004');
  });

  test('a cache that is not ready, or a kind the cluster does not serve, is K9009', async () => {
    const notReady: LookupSource = {
      resolve: () => ({ unavailable: 'the cache of networking.k8s.io/v1 ingresses is still listing' }),
      get: () => undefined,
      list: () => [],
    };
    expect(codeOf(await lookups({ source: notReady }).responder.answer(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress']), 1000))).toBe('K9009');
    const listing: LookupSource = { ...new StaticLookupSource([], kindInfo), resolve: () => ({ group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress', namespaced: true }), get: () => undefined, list: () => ({ unavailable: 'listing' }) };
    expect(codeOf(await lookups({ source: listing }).responder.answer(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress']), 1000))).toBe('K9009');
    const unknown: LookupSource = { resolve: () => undefined, get: () => undefined, list: () => [] };
    expect(codeOf(await lookups({ source: unknown }).responder.answer(clusterPolicy, list(['networking.k8s.io/v1', 'Ingress']), 1000))).toBe('K9009');
  });

  test('every answer is counted per policy, verb and outcome', async () => {
    const { responder, events } = lookups();
    await responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-a']), 1000);
    await responder.answer(teamPolicy, list(['apps/v1', 'Deployment', 'team-a']), 1000);
    await responder.answer(teamPolicy, list(['networking.k8s.io/v1', 'Ingress', 'team-b']), 1000);
    await responder.answer(teamPolicy, get([1, 'x', 'y', 'z']), 1000);
    expect(events).toEqual(['team-a/unique-host list ok', 'team-a/unique-host list undeclared', 'team-a/unique-host list forbidden', 'team-a/unique-host get invalid']);
  });
});

describe('one run of a policy', () => {
  test('may make a bounded number of lookups returning a bounded number of bytes', () => {
    const { responder } = lookups();
    const host = lookupClient((policy, call, ms) => responder.answerNow(policy, call, ms), { maxCallsPerRun: 2, maxBytesPerRun: 1_000_000 })(teamPolicy, 1);
    const call = { module: 'kube', function: 'list', args: ['networking.k8s.io/v1', 'Ingress', 'team-a', null], remainingMs: 100 };
    expect(host(call).ok).toBe(true);
    expect(host(call).ok).toBe(true);
    expect(host(call)).toMatchObject({ ok: false, code: 'K9009' });
    const small = lookupClient((policy, c, ms) => responder.answerNow(policy, c, ms), { maxCallsPerRun: 10, maxBytesPerRun: 300 })(teamPolicy, 1);
    expect(small(call)).toMatchObject({ ok: false, code: 'K9004' });
  });
});
