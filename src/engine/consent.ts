/**
 * Object -> policy consent: the `canMutate` / `canValidate` annotations on the admitted object,
 * or (as a Namespace-wide default) on its Namespace.
 *
 * - Keys: `kclguard.dev/canMutate` and the bare `canMutate` (the DESIGN's name; krm-style
 *   manifests use it). The prefixed key wins when an object carries both.
 * - The object's annotation, when present, replaces the Namespace's (the more specific wins).
 * - Value: a JSON list (`["a", "team-b/b"]`) or a comma-separated list. Entries: `name` (a
 *   KCLRun in the object's namespace), `namespace/name`, `cluster/name` (a ClusterKCLRun), `*`.
 * - A value that does not parse, or holds a malformed entry, consents to nothing (fail closed)
 *   and produces a warning naming the annotation; a Namespace's malformed canValidate, which
 *   would veto every policy, vetoes none instead (also fail closed; gates.ts).
 */
import { CLUSTER_SCOPE, type PolicyIdentity } from './model.js';

export type ConsentEffect = 'mutate' | 'validate';

export const CONSENT_KEYS: Readonly<Record<ConsentEffect, readonly string[]>> = {
  mutate: ['kclguard.dev/canMutate', 'canMutate'],
  validate: ['kclguard.dev/canValidate', 'canValidate'],
};

export interface Consent {
  /** Where the list came from; `none` means no annotation: anyone may act (unless strictMode). */
  readonly source: 'object' | 'namespace' | 'none';
  readonly key?: string;
  /** The entries; empty when the annotation was malformed. */
  readonly entries: readonly string[];
  /** Set when the annotation could not be parsed. */
  readonly error?: string;
}

const NAME = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?';
const ENTRY = new RegExp(`^(\\*|${NAME}(/${NAME})?)$`);

export type ParsedConsent = { ok: true; entries: string[] } | { ok: false; error: string };

export function parseConsentValue(value: string): ParsedConsent {
  const trimmed = value.trim();
  let entries: string[];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { ok: false, error: 'not a valid JSON list' };
    }
    if (!Array.isArray(parsed) || !parsed.every((e) => typeof e === 'string')) {
      return { ok: false, error: 'the JSON list must hold only strings' };
    }
    entries = parsed.map((e: string) => e.trim());
  } else {
    entries = trimmed.split(',').map((e) => e.trim()).filter((e) => e !== '');
  }
  const bad = entries.find((e) => !ENTRY.test(e));
  if (bad !== undefined) return { ok: false, error: `malformed entry ${JSON.stringify(bad.slice(0, 64))}` };
  return { ok: true, entries };
}

function annotationsOf(object: Record<string, unknown> | undefined): Readonly<Record<string, unknown>> {
  const annotations = (object?.metadata as { annotations?: unknown } | undefined)?.annotations;
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) return {};
  return annotations as Record<string, unknown>;
}

function fromAnnotations(
  effect: ConsentEffect,
  annotations: Readonly<Record<string, unknown>>,
  source: 'object' | 'namespace',
): Consent | undefined {
  for (const key of CONSENT_KEYS[effect]) {
    const value = annotations[key];
    if (typeof value !== 'string') continue;
    const parsed = parseConsentValue(value);
    if (parsed.ok) return { source, key, entries: parsed.entries };
    // A Namespace's malformed canValidate vetoes nothing (gates.ts, validationVeto).
    const effectOfIt = source === 'namespace' && effect === 'validate' ? 'it is ignored: every policy validates, as without it' : 'it consents to no policy';
    return { source, key, entries: [], error: `${source} annotation ${key}: ${parsed.error}; ${effectOfIt}` };
  }
  return undefined;
}

/**
 * The consent that governs `effect` on this object. `object` is the admitted object (oldObject
 * for DELETE); consent is read once per request from the object as admitted, so an earlier
 * policy's mutation can never grant a later policy consent.
 */
export function consentFor(
  effect: ConsentEffect,
  object: Record<string, unknown> | undefined,
  namespaceAnnotations: Readonly<Record<string, string>> | undefined,
): Consent {
  return (
    fromAnnotations(effect, annotationsOf(object), 'object') ??
    (namespaceAnnotations ? fromAnnotations(effect, namespaceAnnotations, 'namespace') : undefined) ?? {
      source: 'none',
      entries: [],
    }
  );
}

/**
 * What an entry names as `kind key` (a KCLRun's key is `namespace/name`, a ClusterKCLRun's
 * `cluster/name`), `*` for every policy, or undefined for a bare name on a cluster-scoped object.
 */
function namedBy(entry: string, objectNamespace: string): string | undefined {
  if (entry === '*') return '*';
  const slash = entry.indexOf('/');
  if (slash < 0) return objectNamespace === '' ? undefined : `KCLRun ${objectNamespace}/${entry}`;
  return `${entry.slice(0, slash) === CLUSTER_SCOPE ? 'ClusterKCLRun' : 'KCLRun'} ${entry}`;
}

function nameOf(policy: PolicyIdentity): string {
  return `${policy.kind} ${policy.key}`;
}

/** Whether one entry names the policy; `objectNamespace` is '' for cluster-scoped objects. */
export function entryNames(entry: string, policy: PolicyIdentity, objectNamespace: string): boolean {
  const named = namedBy(entry, objectNamespace);
  return named === '*' || named === nameOf(policy);
}

/**
 * The entries as a set, made once per consent and object namespace: an annotation may hold
 * 256 KiB (about 128k entries), and every selected policy asks about every effect, so scanning
 * the list per question would let one object cost every policy that much main-thread time.
 */
const indexes = new WeakMap<Consent, { readonly namespace: string; readonly names: ReadonlySet<string | undefined> }>();

function indexOf(consent: Consent, objectNamespace: string): ReadonlySet<string | undefined> {
  const known = indexes.get(consent);
  if (known && known.namespace === objectNamespace) return known.names;
  const names = new Set(consent.entries.map((entry) => namedBy(entry, objectNamespace)));
  indexes.set(consent, { namespace: objectNamespace, names });
  return names;
}

/** Whether the consent lets this policy have the effect. strictMode: only where listed. */
export function permits(consent: Consent, policy: PolicyIdentity, objectNamespace: string, strictMode: boolean): boolean {
  if (consent.source === 'none') return !strictMode;
  const names = indexOf(consent, objectNamespace);
  return names.has('*') || names.has(nameOf(policy));
}
