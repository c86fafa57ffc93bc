/**
 * An offline Authorizer built from Role / ClusterRole / RoleBinding / ClusterRoleBinding
 * manifests, with the Kubernetes RBAC authorizer's semantics (pkg/registry/rbac/validation and
 * plugin/pkg/auth/authorizer/rbac), so a policy author sees locally which effects the policy's
 * ServiceAccount allows:
 *
 * - a ServiceAccount is the user `system:serviceaccount:<ns>:<name>` in the groups
 *   `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`; a
 *   requesting user (the `exempt` check) is its userInfo's name and groups;
 * - a RoleBinding grants its Role or ClusterRole only inside the binding's namespace; a
 *   ClusterRoleBinding grants its ClusterRole everywhere, cluster-scoped resources included;
 * - a rule matches when verbs, apiGroups, resources (`resource` or `resource/subresource`,
 *   `*` and `*\/subresource`) and resourceNames (empty = any) all match;
 * - nonResourceURLs rules never match a resource request; aggregationRule is not evaluated
 *   (an aggregated ClusterRole has the rules written in it).
 */
import type { AuthorizationAttributes, Authorizer } from '../authorizer.js';
import { isJsonObject } from '../json-data.js';
import type { ServiceAccountRef } from '../model.js';

export const RBAC_API_GROUP = 'rbac.authorization.k8s.io';

export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
}

export interface Subject {
  readonly kind: 'ServiceAccount' | 'User' | 'Group';
  readonly name: string;
  readonly namespace?: string;
}

interface Role {
  readonly kind: 'Role' | 'ClusterRole';
  readonly name: string;
  readonly namespace?: string;
  readonly rules: readonly PolicyRule[];
}

interface Binding {
  readonly kind: 'RoleBinding' | 'ClusterRoleBinding';
  readonly name: string;
  readonly namespace?: string;
  readonly roleRef: { readonly kind: 'Role' | 'ClusterRole'; readonly name: string };
  readonly subjects: readonly Subject[];
}

export interface RbacDecision {
  readonly allowed: boolean;
  /** The binding and role that granted it, e.g. `RoleBinding team-a/mutator -> ClusterRole edit`. */
  readonly grantedBy?: string;
}

/** A manifest that is not a usable RBAC object, with why (the caller adds the file). */
export interface RbacProblem {
  readonly index: number;
  readonly message: string;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function rulesOf(value: unknown): PolicyRule[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isJsonObject).map((r) => ({
    verbs: strings(r.verbs),
    apiGroups: strings(r.apiGroups),
    resources: strings(r.resources),
    resourceNames: strings(r.resourceNames),
  }));
}

/** `resource` or `resource/subresource` against one rule entry (rbac/v1 ResourceMatches). */
function resourceMatches(ruleResource: string, resource: string, subresource: string): boolean {
  if (ruleResource === '*') return true;
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  if (ruleResource === combined) return true;
  return subresource !== '' && ruleResource === `*/${subresource}`;
}

export function ruleAllows(rule: PolicyRule, attributes: AuthorizationAttributes): boolean {
  const verbOk = rule.verbs.includes('*') || rule.verbs.includes(attributes.verb);
  const groupOk = rule.apiGroups.includes('*') || rule.apiGroups.includes(attributes.group);
  const resourceOk = rule.resources.some((r) => resourceMatches(r, attributes.resource, attributes.subresource));
  const nameOk = rule.resourceNames.length === 0 || rule.resourceNames.includes(attributes.name);
  return verbOk && groupOk && resourceOk && nameOk;
}

/** Whether a binding subject is this ServiceAccount (rbac validation appliesToUser). */
/** Who is asking, as the RBAC authorizer sees it: a user name and its groups. */
export interface RbacUser {
  readonly user: string;
  readonly groups: readonly string[];
}

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** A ServiceAccount as the user `system:serviceaccount:<ns>:<name>` with its automatic groups. */
export function serviceAccountUser(sa: ServiceAccountRef): RbacUser {
  return {
    user: `${SERVICE_ACCOUNT_PREFIX}${sa.namespace}:${sa.name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
  };
}

export function subjectMatches(subject: Subject, who: RbacUser, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'ServiceAccount':
      // An empty namespace in a RoleBinding subject means the binding's own namespace.
      return who.user === `${SERVICE_ACCOUNT_PREFIX}${subject.namespace || bindingNamespace || ''}:${subject.name}`;
    case 'User':
      return subject.name === who.user;
    case 'Group':
      return who.groups.includes(subject.name);
  }
}

export class RbacIndex {
  private readonly roles = new Map<string, Role>();
  private readonly bindings: Binding[] = [];
  readonly problems: RbacProblem[] = [];

  /** Non-RBAC documents are ignored; malformed RBAC ones are reported in `problems`. */
  constructor(documents: readonly unknown[]) {
    documents.forEach((doc, index) => this.add(doc, index));
  }

  private add(doc: unknown, index: number): void {
    if (!isJsonObject(doc)) return;
    const apiVersion = typeof doc.apiVersion === 'string' ? doc.apiVersion : '';
    if (!apiVersion.startsWith(`${RBAC_API_GROUP}/`)) return;
    const kind = doc.kind;
    const metadata = isJsonObject(doc.metadata) ? doc.metadata : {};
    const name = typeof metadata.name === 'string' ? metadata.name : '';
    const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
    if (name === '') {
      this.problems.push({ index, message: `${String(kind)} without metadata.name` });
      return;
    }
    if (kind === 'Role' || kind === 'ClusterRole') {
      if (kind === 'Role' && !namespace) {
        this.problems.push({ index, message: `Role ${name} has no metadata.namespace` });
        return;
      }
      const role: Role = { kind, name, namespace: kind === 'Role' ? namespace : undefined, rules: rulesOf(doc.rules) };
      this.roles.set(roleKey(role.kind, role.name, role.namespace), role);
      return;
    }
    if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
      const roleRef = isJsonObject(doc.roleRef) ? doc.roleRef : {};
      const refKind = roleRef.kind;
      if ((refKind !== 'Role' && refKind !== 'ClusterRole') || typeof roleRef.name !== 'string') {
        this.problems.push({ index, message: `${kind} ${name}: roleRef must name a Role or ClusterRole` });
        return;
      }
      if (kind === 'RoleBinding' && !namespace) {
        this.problems.push({ index, message: `RoleBinding ${name} has no metadata.namespace` });
        return;
      }
      if (kind === 'ClusterRoleBinding' && refKind === 'Role') {
        this.problems.push({ index, message: `ClusterRoleBinding ${name} cannot refer to a Role` });
        return;
      }
      const subjects = (Array.isArray(doc.subjects) ? doc.subjects : []).filter(isJsonObject).flatMap((s): Subject[] => {
        const k = s.kind;
        if ((k !== 'ServiceAccount' && k !== 'User' && k !== 'Group') || typeof s.name !== 'string') return [];
        return [{ kind: k, name: s.name, namespace: typeof s.namespace === 'string' ? s.namespace : undefined }];
      });
      this.bindings.push({ kind, name, namespace: kind === 'RoleBinding' ? namespace : undefined, roleRef: { kind: refKind, name: roleRef.name }, subjects });
    }
  }

  get size(): { roles: number; bindings: number } {
    return { roles: this.roles.size, bindings: this.bindings.length };
  }

  decide(who: RbacUser, attributes: AuthorizationAttributes): RbacDecision {
    for (const binding of this.bindings) {
      // A RoleBinding's grant stops at its namespace; cluster-scoped requests have namespace ''.
      if (binding.kind === 'RoleBinding' && binding.namespace !== attributes.namespace) continue;
      if (!binding.subjects.some((s) => subjectMatches(s, who, binding.namespace))) continue;
      const role = this.roles.get(
        roleKey(binding.roleRef.kind, binding.roleRef.name, binding.roleRef.kind === 'Role' ? binding.namespace : undefined),
      );
      if (!role) continue;
      if (role.rules.some((rule) => ruleAllows(rule, attributes))) {
        const where = binding.namespace ? `${binding.namespace}/${binding.name}` : binding.name;
        const roleName = role.namespace ? `${role.namespace}/${role.name}` : role.name;
        return { allowed: true, grantedBy: `${binding.kind} ${where} -> ${role.kind} ${roleName}` };
      }
    }
    return { allowed: false };
  }
}

function roleKey(kind: string, name: string, namespace: string | undefined): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

/** An Authorizer answering from the manifests. `onDecision` sees every answer (for --trace). */
export function rbacAuthorizer(
  index: RbacIndex,
  onDecision?: (sa: ServiceAccountRef, attributes: AuthorizationAttributes, decision: RbacDecision) => void,
): Authorizer {
  return async (sa, attributes) => {
    const decision = index.decide(serviceAccountUser(sa), attributes);
    onDecision?.(sa, attributes, decision);
    return decision.allowed;
  };
}
