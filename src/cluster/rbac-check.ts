/**
 * The RBACPermissionsGranted condition: at load time, does the policy's ServiceAccount hold the
 * verbs it needs on the kinds it selects? Per request the authorizer decides again (RBAC can
 * change); this check only tells the author early, in `kubectl get kclrun -o yaml`.
 */
import { OPERATION_VERBS, type Authorizer, type AuthorizationAttributes } from '../engine/index.js';
import type { CompiledPolicy } from '../engine/index.js';
import type { KindResolver, ResourceRef } from './discovery.js';
import { serviceAccountUser } from './sar-authorizer.js';

export interface RbacCheckResult {
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

export async function checkPolicyRbac(policy: CompiledPolicy, authorizer: Authorizer, kinds: KindResolver): Promise<RbacCheckResult> {
  const definition = policy.definition;
  if (!definition) return { status: 'Unknown', reason: 'SpecInvalid', message: 'the spec is invalid; nothing to check' };
  const sa = definition.spec.serviceAccount;
  if (!sa) {
    return {
      status: 'True',
      reason: 'KclguardAuthority',
      message: "no serviceAccountName: this ClusterKCLRun acts with kclguard's own authority",
    };
  }
  const effect = definition.spec.mode === 'Validate' ? 'validate' : 'mutate';
  const opVerbs = definition.spec.selector.operations.map((op) => OPERATION_VERBS[op]);
  const namespace = definition.identity.kind === 'KCLRun' ? (definition.identity.namespace ?? '') : '';
  const selectedKinds = new Set([
    ...(definition.spec.selector.kinds ?? []),
    ...definition.spec.resourceRules.flatMap((r) => r.kinds ?? []).filter((k) => k !== '*'),
  ]);
  let targets: { label: string; ref: ResourceRef }[] = [];
  try {
    if (selectedKinds.size === 0) {
      targets = [{ label: 'all resources', ref: { group: '*', resource: '*' } }];
    } else {
      for (const kind of selectedKinds) {
        let refs: readonly ResourceRef[] = await kinds.resourcesFor(kind);
        // A kind that only subresources carry (Scale: deployments/scale, statefulsets/scale...)
        // is checked on those subresources, as its requests are authorized.
        if (refs.length === 0) refs = (await kinds.resources()).filter((r) => r.kind === kind && r.resource.includes('/'));
        if (refs.length === 0) return { status: 'False', reason: 'UnknownKind', message: `kind ${kind} is not served by this cluster` };
        targets.push(...refs.map((ref) => ({ label: kind, ref })));
      }
    }
    const missing: string[] = [];
    for (const { label, ref } of targets) {
      const [resource = '', subresource = ''] = ref.resource.split('/');
      const attrs = (verb: string): AuthorizationAttributes => ({
        verb,
        group: ref.group,
        resource,
        subresource,
        namespace,
        name: '',
      });
      // Either the custom verb, or every verb of the selected operations (DESIGN section 4).
      if (await authorizer(sa, attrs(effect))) continue;
      const perVerb = await Promise.all(opVerbs.map((v) => authorizer(sa, attrs(v))));
      if (opVerbs.length > 0 && perVerb.every(Boolean)) continue;
      missing.push(label);
    }
    const who = serviceAccountUser(sa.namespace, sa.name);
    if (missing.length === 0) return { status: 'True', reason: 'Granted', message: `${who} may ${effect} the selected resources` };
    return {
      status: 'False',
      reason: 'InsufficientPermissions',
      message: `${who} may neither ${effect} nor ${opVerbs.join('/')} ${missing.join(', ')}${namespace ? ` in ${namespace}` : ''}; the policy's effects there are dropped`,
    };
  } catch (err) {
    return { status: 'Unknown', reason: 'CheckFailed', message: `RBAC check failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
