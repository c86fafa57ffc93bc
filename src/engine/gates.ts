/**
 * What stands between a policy's run and its effect on the answer: the object's consent, the
 * policy ServiceAccount's RBAC (DESIGN sections 2 and 4) and, for a failed policy, its
 * failureAction (section 3).
 */
import { AuthorizerTimeoutError, authorizeEffect, DEFAULT_AUTHORIZER_TIMEOUT_MS, withTimeout } from './authorizer.js';
import type { ConsentEffect } from './consent.js';
import type { PolicyFailure, RecoveryResult } from './executor.js';
import { auditKey, redactQuotedLiterals, singleLine } from './messages.js';
import type { PolicyDefinition, ServiceAccountRef } from './model.js';
import { notify } from './observer.js';
import type { OutcomeDetail, RequestState } from './request-state.js';

/** Kept back from the request deadline so that after a timed-out check there is time to answer. */
export const AUTHORIZER_DEADLINE_MARGIN_MS = 100;

/**
 * The ServiceAccount check for one effect, bounded by min(request deadline - margin, cap): a
 * hung SubjectAccessReview rejects (a policy failure) instead of holding the request.
 */
export function authorize(state: RequestState, serviceAccount: ServiceAccountRef, effect: ConsentEffect): Promise<boolean> {
  const { ctx, request } = state;
  const cap = ctx.authorizerTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS;
  const remaining = request.deadline === undefined ? Infinity : request.deadline - ctx.now() - AUTHORIZER_DEADLINE_MARGIN_MS;
  const budget = Math.min(cap, remaining);
  if (budget <= 0) return Promise.reject(new AuthorizerTimeoutError(0));
  return withTimeout(authorizeEffect(ctx.authorizer, serviceAccount, request, effect), budget);
}

/** Why the ServiceAccount may not have the effect (for warnings and outcomes). */
function notAuthorizedReason(state: RequestState, sa: ServiceAccountRef, effect: ConsentEffect): string {
  return `ServiceAccount ${sa.namespace}/${sa.name} may not ${state.request.operation.toLowerCase()} or ${effect} ${state.request.resource.resource}`;
}

/** Core-group Secrets: their data must not leave kclguard through error messages. */
function isSecretRequest(state: RequestState): boolean {
  return state.request.resource.group === '' && state.request.resource.resource === 'secrets';
}

export type DroppedEffect = { readonly result: 'not_consented' | 'not_authorized'; readonly reason: string };

/**
 * The consent half of gateEffect for what the object (or its Namespace) says, before any RBAC:
 * synchronous, so a mutation veto is known before policies run. A policy with `consent: Ignore`
 * takes no veto at all; strictMode's "not named" is not a veto but the policy not applying.
 */
export function consentDrop(state: RequestState, definition: PolicyDefinition, effect: ConsentEffect): DroppedEffect | undefined {
  if (state.permitted(definition, effect)) return undefined;
  const consent = state.consent(effect);
  if (definition.spec.consent === 'Ignore' && consent.source !== 'none') {
    state.warn(`kclguard: the ${consent.source} annotation ${consent.key} was not applied to policy ${definition.identity.key}: it accepts no veto (consent: Ignore)`);
    return undefined;
  }
  const reason =
    consent.source === 'none'
      ? `strictMode policy is not named in a can${effect === 'mutate' ? 'Mutate' : 'Validate'} annotation`
      : `the ${consent.source} annotation ${consent.key} does not name this policy`;
  return { result: 'not_consented', reason };
}

/**
 * Whether a veto of a violation (or of an abort) stands. Consent protects objects from policies
 * that would touch them by mistake; it is not a way out of security policy (DESIGN section 2): the
 * object's own veto counts only if the requesting user may `exempt` from the policy, unless the
 * policy is Advisory. The Namespace's veto (an admin's tool) and strictMode's opt-in always count
 * — except that an object leaving out a strictMode policy its Namespace names is a veto like any
 * other object's: the Namespace's opt-in is the admin's, as its veto is. A failed exempt check
 * counts as "may not": the violation stands.
 */
export async function validationVeto(state: RequestState, definition: PolicyDefinition): Promise<DroppedEffect | undefined> {
  const dropped = consentDrop(state, definition, 'validate');
  if (!dropped) return undefined;
  const consent = state.consent('validate');
  const optedOut = definition.spec.strictMode && !state.namespaceNames(definition, 'validate');
  if (optedOut || definition.spec.consent === 'Advisory') return dropped;
  // A Namespace's list is an admin's veto; one that does not parse vetoes nothing (fail closed):
  // a typo must not turn every guardrail in the namespace off. Its warning says so (consent.ts).
  if (consent.source === 'namespace') return consent.error === undefined ? dropped : undefined;
  // No list at all, yet dropped: a strictMode policy whose Namespace may have opted in (it could
  // not be read). Nothing vetoes it.
  if (consent.source === 'none') return undefined;
  const user = state.request.userInfo;
  const may = await state.ctx.exempt(user, definition.identity).catch(() => false);
  if (may) return { result: 'not_consented', reason: `${dropped.reason}, and ${describeUser(user)} may exempt from it` };
  state.warn(`kclguard: the object's ${consent.key} annotation was not applied to policy ${definition.identity.key}: ${describeUser(user)} may not exempt from it`);
  return undefined;
}

function describeUser(user: RequestState['request']['userInfo']): string {
  return `user ${user.username ?? '(anonymous)'}`;
}

/**
 * Consent and ServiceAccount check for a violation; the dropped effect's result when it may not
 * happen, with a warning saying why. Rejects when the ServiceAccount check itself failed.
 */
export async function gateViolation(state: RequestState, definition: PolicyDefinition): Promise<DroppedEffect | undefined> {
  const dropped = (await validationVeto(state, definition)) ?? (await rbacDrop(state, definition, 'validate'));
  if (dropped) warnDropped(state, definition, 'validate', dropped);
  return dropped;
}

export async function rbacDrop(state: RequestState, definition: PolicyDefinition, effect: ConsentEffect): Promise<DroppedEffect | undefined> {
  if (effect === 'mutate' && definition.identity.kind === 'KCLRun' && isRbacObject(state.request)) {
    return { result: 'not_authorized', reason: RBAC_MUTATION_REASON };
  }
  const sa = definition.spec.serviceAccount;
  if (!sa || (await authorize(state, sa, effect))) return undefined;
  return { result: 'not_authorized', reason: notAuthorizedReason(state, sa, effect) };
}

/**
 * A KCLRun never changes a Role or RoleBinding. The API server checks what a role grants (its
 * `escalate` and `bind` rules) against the user who writes it, not against the policy's
 * ServiceAccount, so a tenant's policy could add itself to the subjects of a RoleBinding an admin
 * or a GitOps controller writes into its namespace, or point it at cluster-admin, with nothing
 * more than `mutate` on rolebindings there. A ClusterKCLRun is an admin's own.
 */
function isRbacObject(request: RequestState['request']): boolean {
  return request.resource.group === 'rbac.authorization.k8s.io';
}

const RBAC_MUTATION_REASON =
  'a KCLRun may not change RBAC objects: the API server checks role escalation against the user who writes them, not against the policy (use a ClusterKCLRun)';

export function warnDropped(state: RequestState, definition: PolicyDefinition, effect: ConsentEffect, dropped: DroppedEffect): void {
  const noun = effect === 'mutate' ? 'mutation' : 'violation';
  state.warn(`kclguard: ${noun} by policy ${definition.identity.key} dropped: ${dropped.reason}`);
}

/** A violation that stands: what each of the policy's validationActions does with it. */
export function applyViolation(state: RequestState, definition: PolicyDefinition, message: string, reason: string, durationSeconds: number): void {
  const key = definition.identity.key;
  const actions = definition.spec.validationActions;
  const secret = isSecretRequest(state);
  const shown = secret ? redactQuotedLiterals(message) : message;
  if (actions.includes('Deny')) state.denials.push({ policy: key, message: shown, failure: false });
  if (actions.includes('Warn')) state.warn(`kclguard: policy ${key} violated: ${shown}`);
  if (actions.includes('Audit')) state.auditAnnotations[auditKey(key, 'violated')] = singleLine(`policy ${key} violated: ${shown}`, 1024);
  notify(state.ctx.observer, 'onViolation', key, actions);
  state.record(key, 'violated', durationSeconds, { reason: secret ? redactQuotedLiterals(reason) : reason, actions });
}

/**
 * Applies the policy's failureAction to a failure and records the outcome. The log and the audit
 * annotation get only the failure's summary (location, code, name): the full text may quote the
 * object's values. The response keeps the full text, with quoted literals redacted for Secrets.
 * `authorizeAbort: false` when the failure is the ServiceAccount check itself.
 */
export async function applyFailure(
  state: RequestState,
  definition: PolicyDefinition,
  failure: PolicyFailure,
  durationSeconds: number,
  authorizeAbort = true,
  recovery?: RecoveryResult,
): Promise<void> {
  const key = definition.identity.key;
  const chosen = recovery && 'action' in recovery ? recovery : undefined;
  const action = chosen?.action ?? definition.spec.failureAction;
  const secret = isSecretRequest(state);
  const shown = secret ? redactQuotedLiterals(failure.error) : failure.error;
  // The recovery program's message is redacted too: built from option("failure").message, as a
  // recovery program naturally does, it would quote the Secret's data the error quoted.
  const recoveryMessage = chosen?.message !== undefined && secret ? redactQuotedLiterals(chosen.message) : chosen?.message;
  const message = `policy ${key} failed: ${shown}${recoveryMessage ? ` (${recoveryMessage})` : ''}`;
  const detail: OutcomeDetail = {
    ...(failure.code !== undefined ? { code: failure.code } : {}),
    ...(chosen ? { recovery: recoveryMessage !== undefined ? { message: recoveryMessage } : {} } : {}),
    ...(recovery && 'failed' in recovery ? { recovery: { failed: recovery.failed.summary } } : {}),
  };
  state.ctx.logger.warn({ uid: state.request.uid, policy: key, action, error: failure.summary }, 'policy failed');
  if (recovery && 'failed' in recovery) {
    state.warn(`kclguard: the recovery program of policy ${key} failed (${recovery.failed.summary}); failureAction ${action} applies`);
  }
  // An abort is a denial, and a denial is a validation: the object must consent to it, and the
  // policy's ServiceAccount must be allowed to validate, exactly as for a violation (DESIGN 4).
  const veto = action === 'abort' ? await validationVeto(state, definition) : undefined;
  if (veto) {
    const reason = `failure not applied: ${veto.reason} (${shown})`;
    state.warn(`kclguard: policy ${key} failed; abort dropped: ${veto.reason}`);
    state.record(key, 'not_consented', durationSeconds, { reason, ...detail });
    return;
  }
  const sa = definition.spec.serviceAccount;
  if (action === 'abort' && sa && authorizeAbort) {
    // A check that itself fails keeps the abort: failing closed is what abort asks for.
    const allowed = await authorize(state, sa, 'validate').catch(() => true);
    if (!allowed) {
      const why = notAuthorizedReason(state, sa, 'validate');
      state.warn(`kclguard: policy ${key} failed; abort dropped: ${why}`);
      state.record(key, 'not_authorized', durationSeconds, { reason: `failure not applied: ${why} (${shown})`, ...detail });
      return;
    }
  }
  notify(state.ctx.observer, 'onFailureAction', key, action);
  if (action === 'abort') state.denials.push({ policy: key, message, failure: true });
  if (action === 'warn') {
    state.warn(`kclguard: ${message}`);
    state.auditAnnotations[auditKey(key, 'failed')] = singleLine(`policy ${key} failed: ${failure.summary}`, 1024);
  }
  state.record(key, 'failed', durationSeconds, { reason: shown, action, ...detail });
}

/** The ServiceAccount check failed: a policy failure like any other (DESIGN section 4). */
export function checkFailure(error: unknown): PolicyFailure {
  const why = `ServiceAccount check failed: ${error instanceof Error ? error.message : String(error)}`;
  return { error: why, summary: why };
}
