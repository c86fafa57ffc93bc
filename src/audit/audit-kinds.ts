/**
 * Which policies background audit covers, and the kinds it reads for them: `mode: Validate`
 * policies that name their kinds (`spec.selector.resourceKind`, or the `kinds` of
 * `spec.matchConstraints.resourceRules`). A policy that selects every kind is not audited: listing
 * every resource of a cluster is not something a webhook should do behind an operator's back.
 */
import type { CompiledPolicy, PolicySnapshot, ServedKind } from '../engine/index.js';

/** Kind names a policy audits (empty: it is not audited). */
export function auditedKindNames(policy: CompiledPolicy): string[] {
  const definition = policy.definition;
  if (!definition || definition.spec.mode !== 'Validate') return [];
  const names = new Set(definition.spec.selector.kinds ?? []);
  for (const rule of definition.spec.resourceRules) for (const kind of rule.kinds ?? []) if (kind !== '*') names.add(kind);
  return [...names].sort();
}

/** The audited policies of a snapshot, by key, with their kind names. */
export function auditedPolicies(snapshot: PolicySnapshot): Map<string, string[]> {
  const audited = new Map<string, string[]>();
  for (const policy of snapshot.policies) {
    const kinds = auditedKindNames(policy);
    if (kinds.length > 0) audited.set(policy.identity.key, kinds);
  }
  return audited;
}

/** Resolves kind names to served resources (discovery in cluster mode, a heuristic offline). */
export type KindNames = (kind: string) => Promise<ServedKind[]>;

/** Every served kind the audited policies name, without repeats. */
export async function auditedKinds(audited: ReadonlyMap<string, readonly string[]>, resolve: KindNames): Promise<ServedKind[]> {
  const names = new Set([...audited.values()].flat());
  const served = new Map<string, ServedKind>();
  for (const name of [...names].sort()) {
    for (const kind of await resolve(name)) served.set(`${kind.group}/${kind.version}/${kind.resource}`, kind);
  }
  return [...served.values()];
}
