import { describe, expect, it } from '@jest/globals';
import { consentFor, entryNames, parseConsentValue, permits, type Consent } from './consent.js';
import { policyIdentity } from './model.js';

const teamA = policyIdentity('KCLRun', 'add-labels', 'team-a');
const teamB = policyIdentity('KCLRun', 'add-labels', 'team-b');
const cluster = policyIdentity('ClusterKCLRun', 'baseline');
const withAnnotations = (annotations: Record<string, string>) => ({ metadata: { annotations } });

describe('parseConsentValue', () => {
  it('reads a JSON list and a comma list the same way', () => {
    expect(parseConsentValue('["a", "team-b/b", "cluster/c", "*"]')).toEqual({ ok: true, entries: ['a', 'team-b/b', 'cluster/c', '*'] });
    expect(parseConsentValue(' a, team-b/b ,cluster/c,* ')).toEqual({ ok: true, entries: ['a', 'team-b/b', 'cluster/c', '*'] });
    expect(parseConsentValue('')).toEqual({ ok: true, entries: [] });
  });

  it('rejects broken JSON, non-string entries and malformed names', () => {
    expect(parseConsentValue('["a"').ok).toBe(false);
    expect(parseConsentValue('[1]').ok).toBe(false);
    expect(parseConsentValue('a/b/c').ok).toBe(false);
    expect(parseConsentValue('Team A').ok).toBe(false);
  });

  it('refuses look-alikes and hidden characters instead of reading them as another name', () => {
    // Cyrillic a, a fullwidth solidus, a zero-width space, a NUL, upper case, inner whitespace:
    // each is malformed, so the list consents to nothing (fail closed), never to a near-namesake.
    for (const value of ['cluster/b\u0430seline', 'cluster\uFF0Fbaseline', 'cluster/baseline\u200B', '["cluster/baseline\\u0000"]', 'Cluster/baseline', 'cluster/ baseline', '["*", "cluster/x y"]']) {
      expect(parseConsentValue(value).ok).toBe(false);
    }
    const consent = consentFor('validate', withAnnotations({ canValidate: 'cluster/b\u0430seline' }), undefined);
    expect(permits(consent, cluster, 'team-a', false)).toBe(false);
    expect(consent.error).toBeDefined();
  });
});

describe('entryNames', () => {
  it('resolves bare names in the object namespace, namespace/name, cluster/name and *', () => {
    expect(entryNames('add-labels', teamA, 'team-a')).toBe(true);
    expect(entryNames('add-labels', teamB, 'team-a')).toBe(false);
    expect(entryNames('add-labels', cluster, 'team-a')).toBe(false);
    expect(entryNames('team-b/add-labels', teamB, 'team-a')).toBe(true);
    expect(entryNames('cluster/baseline', cluster, 'team-a')).toBe(true);
    expect(entryNames('cluster/baseline', teamA, 'team-a')).toBe(false);
    expect(entryNames('*', cluster, '')).toBe(true);
  });
});

describe('consentFor and permits', () => {
  it('lets anyone act without annotations, except strictMode policies', () => {
    const consent = consentFor('mutate', withAnnotations({}), undefined);
    expect(consent.source).toBe('none');
    expect(permits(consent, teamA, 'team-a', false)).toBe(true);
    expect(permits(consent, teamA, 'team-a', true)).toBe(false);
  });

  it('limits the effect to the listed policies, strict or not', () => {
    const consent = consentFor('mutate', withAnnotations({ canMutate: 'cluster/baseline' }), undefined);
    expect(permits(consent, teamA, 'team-a', false)).toBe(false);
    expect(permits(consent, cluster, 'team-a', true)).toBe(true);
  });

  it('keeps mutate and validate consent apart', () => {
    const object = withAnnotations({ canValidate: 'other' });
    expect(permits(consentFor('mutate', object, undefined), teamA, 'team-a', false)).toBe(true);
    expect(permits(consentFor('validate', object, undefined), teamA, 'team-a', false)).toBe(false);
  });

  it('falls back to the Namespace annotation, and the object annotation wins over it', () => {
    const ns = { canMutate: 'add-labels' };
    expect(consentFor('mutate', withAnnotations({}), ns).source).toBe('namespace');
    expect(permits(consentFor('mutate', withAnnotations({}), ns), teamA, 'team-a', true)).toBe(true);
    const own = consentFor('mutate', withAnnotations({ canMutate: 'cluster/baseline' }), ns);
    expect(own.source).toBe('object');
    expect(permits(own, teamA, 'team-a', false)).toBe(false);
  });

  it('prefers the kclguard.dev/ key over the bare key', () => {
    const consent = consentFor('validate', withAnnotations({ canValidate: '*', 'kclguard.dev/canValidate': 'cluster/baseline' }), undefined);
    expect(consent.key).toBe('kclguard.dev/canValidate');
    expect(permits(consent, teamA, 'team-a', false)).toBe(false);
  });

  it('treats a malformed annotation as consent to nothing, with an error to report', () => {
    const consent = consentFor('mutate', withAnnotations({ canMutate: '["unterminated' }), undefined);
    expect(consent.error).toBeDefined();
    expect(permits(consent, teamA, 'team-a', false)).toBe(false);
    expect(permits(consent, cluster, 'team-a', false)).toBe(false);
  });

  it('reads a huge list once per request, not once per policy', () => {
    // Annotations may hold 256 KiB: about 128k entries. Every selected policy asks about every
    // effect, so a scan per question let one tenant's object cost every policy's time on the
    // main thread. Count how often the entries are read.
    const list = Array.from({ length: 50_000 }, (_, i) => `team-a/p${i}`);
    let reads = 0;
    const entries = new Proxy(list, { get: (target, key, receiver) => ((reads += typeof key === 'string' && /^\d+$/.test(key) ? 1 : 0), Reflect.get(target, key, receiver)) });
    const consent: Consent = { source: 'object', key: 'canValidate', entries };
    expect(permits(consent, policyIdentity('KCLRun', 'p49999', 'team-a'), 'team-a', false)).toBe(true);
    const afterFirst = reads;
    for (let i = 0; i < 100; i++) expect(permits(consent, policyIdentity('ClusterKCLRun', `c${i}`), 'team-a', false)).toBe(false);
    expect(permits(consent, teamA, 'team-a', false)).toBe(false);
    expect(reads).toBe(afterFirst);
    // The answers are the ones entryNames gives, bare names included.
    const bare = consentFor('validate', withAnnotations({ canValidate: 'add-labels, cluster/baseline' }), undefined);
    expect(permits(bare, teamA, 'team-a', false)).toBe(true);
    expect(permits(bare, teamA, '', false)).toBe(false);
    expect(permits(bare, cluster, 'team-a', false)).toBe(true);
    expect(permits(bare, policyIdentity('KCLRun', 'baseline', 'cluster'), 'team-a', false)).toBe(false);
  });
});
