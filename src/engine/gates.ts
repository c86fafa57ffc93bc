/**
 * What stands between a policy's run and its effect on the answer: the object's consent, the
 * policy ServiceAccount's RBAC (DESIGN sections 2 and 4) and, for a failed policy, its
 * failureAction (section 3).
 */
import { AuthorizerTimeoutError, authorizeEffect, DEFAULT_AUTHORIZER_TIMEOUT_MS, withTimeout } from './authorizer.js';
import type { ConsentEffect } from './consent.js';
import type { PolicyFailure } from './executor.js';
import { auditKey, redactQuotedLiterals, singleLine } from './messages.js';
import type { PolicyDefinition, ServiceAccountRef } from './model.js';
import { notify } from './observer.js';
import type { RequestState } from './request-state.js';

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

/** The consent half of gateEffect: synchronous, so it can be known before policies run. */
export function consentDrop(state: RequestState, definition: PolicyDefinition, effect: ConsentEffect): DroppedEffect | undefined {
  if (state.permitted(definition, effect)) return undefined;
  const consent = state.consent(effect);
  const reason =
    consent.source === 'none'
      ? `strictMode policy is not named in a can${effect === 'mutate' ? 'Mutate' : 'Validate'} annotation`
      : `the ${consent.source} annotation ${consent.key} does not name this policy`;
  return { result: 'not_consented', reason };
}

/**
 * Consent and ServiceAccount check for one effect; the dropped effect's result when it may not
 * happen, with a warning saying why. Rejects when the ServiceAccount check itself failed.
 */
export async function gateEffect(state: RequestState, definition: PolicyDefinition, effect: ConsentEffect): Promise<DroppedEffect | undefined> {
  const dropped = consentDrop(state, definition, effect) ?? (await rbacDrop(state, definition, effect));
  if (dropped) warnDropped(state, definition, effect, dropped);
  return dropped;
}

export async function rbacDrop(state: RequestState, definition: PolicyDefinition, effect: ConsentEffect): Promise<DroppedEffect | undefined> {
  const sa = definition.spec.serviceAccount;
  if (!sa || (await authorize(state, sa, effect))) return undefined;
  return { result: 'not_authorized', reason: notAuthorizedReason(state, sa, effect) };
}

export function warnDropped(state: RequestState, definition: PolicyDefinition, effect: ConsentEffect, dropped: DroppedEffect): void {
  const noun = effect === 'mutate' ? 'mutation' : 'violation';
  state.warn(`kclguard: ${noun} by policy ${definition.identity.key} dropped: ${dropped.reason}`);
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
): Promise<void> {
  const key = definition.identity.key;
  const action = definition.spec.failureAction;
  const shown = isSecretRequest(state) ? redactQuotedLiterals(failure.error) : failure.error;
  const message = `policy ${key} failed: ${shown}`;
  const code = failure.code !== undefined ? { code: failure.code } : {};
  state.ctx.logger.warn({ uid: state.request.uid, policy: key, action, error: failure.summary }, 'policy failed');
  // An abort is a denial, and a denial is a validation: the object must consent to it, and the
  // policy's ServiceAccount must be allowed to validate, exactly as for a violation (DESIGN 4).
  if (action === 'abort' && !state.permitted(definition, 'validate')) {
    const reason = `failure not applied: the object does not consent to validation by this policy (${shown})`;
    state.warn(`kclguard: policy ${key} failed; abort dropped: the object does not consent to its validation`);
    state.record(key, 'not_consented', durationSeconds, { reason, ...code });
    return;
  }
  const sa = definition.spec.serviceAccount;
  if (action === 'abort' && sa && authorizeAbort) {
    // A check that itself fails keeps the abort: failing closed is what abort asks for.
    const allowed = await authorize(state, sa, 'validate').catch(() => true);
    if (!allowed) {
      const why = notAuthorizedReason(state, sa, 'validate');
      state.warn(`kclguard: policy ${key} failed; abort dropped: ${why}`);
      state.record(key, 'not_authorized', durationSeconds, { reason: `failure not applied: ${why} (${shown})`, ...code });
      return;
    }
  }
  notify(state.ctx.observer, 'onFailureAction', key, action);
  if (action === 'abort') state.denials.push({ policy: key, message, failure: true });
  if (action === 'warn') {
    state.warn(`kclguard: ${message}`);
    state.auditAnnotations[auditKey(key)] = singleLine(`policy ${key} failed: ${failure.summary}`, 1024);
  }
  state.record(key, 'failed', durationSeconds, { reason: shown, action, ...code });
}

/** The ServiceAccount check failed: a policy failure like any other (DESIGN section 4). */
export function checkFailure(error: unknown): PolicyFailure {
  const why = `ServiceAccount check failed: ${error instanceof Error ? error.message : String(error)}`;
  return { error: why, summary: why };
}
