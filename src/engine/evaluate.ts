/**
 * Evaluates one admission request against one policy snapshot (DESIGN sections 1-5):
 * selection, consent, the ServiceAccount check, failureAction, ordering and the final patch.
 *
 * Mutate phase: `mode: Auto` policies in snapshot order, each seeing the previous one's output;
 * one RFC 6902 patch from the admitted object to the last output. Validate phase: `mode:
 * Validate` policies on the object as admitted (the final object, after every mutating webhook).
 */
import jsonpatch from 'fast-json-patch';
import { AuthorizerTimeoutError, authorizeEffect, DEFAULT_AUTHORIZER_TIMEOUT_MS, withTimeout, type Authorizer } from './authorizer.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { consentFor, permits, type Consent, type ConsentEffect } from './consent.js';
import type { EngineDecision, EngineRequest, FailureAction, PolicyOutcome, PolicyResult } from './contract.js';
import { isSystemNamespaceRequest, whyRequestExcluded, type ExclusionConfig } from './exclusions.js';
import type { EngineLogger } from './logger.js';
import { auditKey, redactQuotedLiterals, singleLine } from './messages.js';
import type { PolicyDefinition, ServiceAccountRef } from './model.js';
import { namespaceInfo, type NamespaceLookup } from './namespaces.js';
import { notify, type EngineObserver } from './observer.js';
import type { PolicySnapshot } from './policy-set.js';
import type { PolicyLogEntry, RunSession } from './policy-compiler.js';
import { plainFailure, runPolicy, type PolicyFailure } from './run-policy.js';
import { objectNamespace, whyNotSelected } from './selector.js';

type JsonObject = Record<string, unknown>;

export interface EvaluationContext {
  readonly authorizer: Authorizer;
  readonly namespaces?: NamespaceLookup;
  readonly exclusions: ExclusionConfig;
  readonly observer?: EngineObserver;
  readonly logger: EngineLogger;
  /** Wall clock in ms since epoch (deadlines are absolute). */
  readonly now: () => number;
  /** Upper bound of one ServiceAccount check in ms; the request deadline may shorten it. */
  readonly authorizerTimeoutMs?: number;
}

/** Kept back from the request deadline so that after a timed-out check there is time to answer. */
export const AUTHORIZER_DEADLINE_MARGIN_MS = 100;

/** HTTP-like codes in the denial status: 403 Forbidden for a violation (as controller-runtime's
 * `Denied`, used by Gatekeeper), 500 for a failed policy with failureAction abort. */
export const VIOLATION_CODE = 403;
export const FAILURE_CODE = 500;

interface Denial {
  readonly policy: string;
  readonly message: string;
  readonly failure: boolean;
}

class RequestState {
  readonly outcomes: PolicyOutcome[] = [];
  readonly warnings: string[] = [];
  readonly auditAnnotations: Record<string, string> = {};
  readonly denials: Denial[] = [];
  /** Lets the compiler share work (object conversions) across this request's policies. */
  readonly session: RunSession = {};
  private readonly consents = new Map<ConsentEffect, Consent>();

  constructor(
    readonly request: EngineRequest,
    readonly subject: JsonObject,
    readonly ctx: EvaluationContext,
  ) {}

  consent(effect: ConsentEffect): Consent {
    let consent = this.consents.get(effect);
    if (!consent) {
      const ns = objectNamespace(this.request);
      consent = consentFor(effect, this.subject, ns === '' ? undefined : namespaceInfo(this.ctx.namespaces, ns).annotations);
      if (consent.error) this.warn(`kclguard: ${consent.error}`);
      this.consents.set(effect, consent);
    }
    return consent;
  }

  warn(text: string): void {
    const line = singleLine(text);
    if (!this.warnings.includes(line)) this.warnings.push(line);
  }

  record(policy: string, result: PolicyResult, started: number, extra: { reason?: string; action?: FailureAction } = {}): void {
    const durationSeconds = (performance.now() - started) / 1000;
    this.outcomes.push({ policy, result, durationSeconds, ...extra });
    if (result !== 'not_selected') notify(this.ctx.observer, 'onPolicyEvaluated', policy, result, durationSeconds);
  }
}

/**
 * The ServiceAccount check for one effect, bounded by min(request deadline - margin, cap): a
 * hung SubjectAccessReview rejects (a policy failure) instead of holding the request.
 */
function authorize(state: RequestState, serviceAccount: ServiceAccountRef, effect: ConsentEffect): Promise<boolean> {
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
function isSecretRequest(request: EngineRequest): boolean {
  return request.resource.group === '' && request.resource.resource === 'secrets';
}

function permitted(state: RequestState, definition: PolicyDefinition, effect: ConsentEffect): boolean {
  return permits(state.consent(effect), definition.identity, objectNamespace(state.request), definition.spec.strictMode);
}

/** Consent and ServiceAccount check for one effect; returns the result when the effect is dropped. */
async function gateEffect(
  state: RequestState,
  definition: PolicyDefinition,
  effect: ConsentEffect,
): Promise<{ result: 'not_consented' | 'not_authorized'; reason: string } | undefined> {
  const key = definition.identity.key;
  const noun = effect === 'mutate' ? 'mutation' : 'violation';
  if (!permitted(state, definition, effect)) {
    const consent = state.consent(effect);
    const reason =
      consent.source === 'none'
        ? `strictMode policy is not named in a can${effect === 'mutate' ? 'Mutate' : 'Validate'} annotation`
        : `the ${consent.source} annotation ${consent.key} does not name this policy`;
    state.warn(`kclguard: ${noun} by policy ${key} dropped: ${reason}`);
    return { result: 'not_consented', reason };
  }
  const sa = definition.spec.serviceAccount;
  if (sa && !(await authorize(state, sa, effect))) {
    const reason = notAuthorizedReason(state, sa, effect);
    state.warn(`kclguard: ${noun} by policy ${key} dropped: ${reason}`);
    return { result: 'not_authorized', reason };
  }
  return undefined;
}

/**
 * Applies the policy's failureAction to a failure and records the outcome. The log and the audit
 * annotation get only the failure's summary (location, code, name): the full text may quote the
 * object's values. The response keeps the full text, with quoted literals redacted for Secrets.
 * `authorizeAbort: false` when the failure is the ServiceAccount check itself.
 */
async function applyFailure(
  state: RequestState,
  definition: PolicyDefinition,
  failure: PolicyFailure,
  started: number,
  authorizeAbort = true,
): Promise<void> {
  const key = definition.identity.key;
  const action = definition.spec.failureAction;
  const shown = isSecretRequest(state.request) ? redactQuotedLiterals(failure.error) : failure.error;
  const message = `policy ${key} failed: ${shown}`;
  state.ctx.logger.warn({ uid: state.request.uid, policy: key, action, error: failure.summary }, 'policy failed');
  // An abort is a denial, and a denial is a validation: the object must consent to it, and the
  // policy's ServiceAccount must be allowed to validate, exactly as for a violation (DESIGN 4).
  if (action === 'abort' && !permitted(state, definition, 'validate')) {
    const reason = `failure not applied: the object does not consent to validation by this policy (${shown})`;
    state.warn(`kclguard: policy ${key} failed; abort dropped: the object does not consent to its validation`);
    state.record(key, 'not_consented', started, { reason });
    return;
  }
  const sa = definition.spec.serviceAccount;
  if (action === 'abort' && sa && authorizeAbort) {
    // A check that itself fails keeps the abort: failing closed is what abort asks for.
    const allowed = await authorize(state, sa, 'validate').catch(() => true);
    if (!allowed) {
      const why = notAuthorizedReason(state, sa, 'validate');
      state.warn(`kclguard: policy ${key} failed; abort dropped: ${why}`);
      state.record(key, 'not_authorized', started, { reason: `failure not applied: ${why} (${shown})` });
      return;
    }
  }
  notify(state.ctx.observer, 'onFailureAction', key, action);
  if (action === 'abort') state.denials.push({ policy: key, message, failure: true });
  if (action === 'warn') {
    state.warn(`kclguard: ${message}`);
    state.auditAnnotations[auditKey(key)] = singleLine(`policy ${key} failed: ${failure.summary}`, 1024);
  }
  state.record(key, 'failed', started, { reason: shown, action });
}

/** Whether the policy takes part in this request at all; otherwise why not. */
function whyNotConsidered(policy: CompiledPolicy, definition: PolicyDefinition, state: RequestState): string | undefined {
  const { request, ctx } = state;
  const phase = definition.spec.mode === 'Auto' ? 'mutate' : 'validate';
  if (phase !== request.phase) return `mode ${definition.spec.mode} runs in the ${phase} phase`;
  if (isSystemNamespaceRequest(request, ctx.exclusions)) {
    if (!(policy.identity.kind === 'ClusterKCLRun' && definition.spec.allowSystemNamespaces)) {
      return 'system namespaces are excluded';
    }
  }
  return whyNotSelected(definition, request, ctx.namespaces);
}

async function evaluatePolicy(state: RequestState, policy: CompiledPolicy, current: JsonObject): Promise<JsonObject> {
  const definition = policy.definition!;
  const key = policy.identity.key;
  const started = performance.now();
  const notConsidered = whyNotConsidered(policy, definition, state);
  if (notConsidered) {
    state.record(key, 'not_selected', started, { reason: notConsidered });
    return current;
  }
  // strictMode policies are opt-in: one the object names for neither effect does not run at all.
  // That is `skipped`, not `not_consented`: no effect was dropped, the policy simply does not apply.
  if (definition.spec.strictMode) {
    const effects: ConsentEffect[] = definition.spec.mode === 'Auto' ? ['mutate', 'validate'] : ['validate'];
    if (!effects.some((e) => permitted(state, definition, e))) {
      state.record(key, 'skipped', started, { reason: 'strictMode policy not named by the object' });
      return current;
    }
  }
  if (!policy.program) {
    await applyFailure(state, definition, plainFailure(`the policy is invalid: ${policy.errors.join('; ')}`), started);
    return current;
  }
  const { request, ctx } = state;
  const outcome = runPolicy(
    definition,
    policy.program,
    current,
    request,
    { deadline: request.deadline, now: ctx.now },
    (printed, logs) => logPolicyOutput(ctx.logger, request, key, printed, logs),
    state.session,
  );
  try {
    switch (outcome.kind) {
      case 'unchanged':
        state.record(key, 'passed', started);
        return current;
      case 'failed':
        await applyFailure(state, definition, outcome, started);
        return current;
      case 'mutated': {
        if (request.phase === 'validate' || request.operation === 'DELETE') {
          // Validate-mode policies may only violate; DELETE has no object to patch.
          const why = request.phase === 'validate' ? 'a mode Validate policy may not mutate' : 'a DELETE cannot be mutated';
          if (request.phase === 'validate') state.warn(`kclguard: change by policy ${key} ignored: ${why}`);
          state.record(key, 'passed', started, { reason: `change ignored: ${why}` });
          return current;
        }
        const dropped = await gateEffect(state, definition, 'mutate');
        if (dropped) {
          state.record(key, dropped.result, started, { reason: dropped.reason });
          return current;
        }
        state.record(key, 'mutated', started);
        return outcome.object;
      }
      case 'violated': {
        const dropped = await gateEffect(state, definition, 'validate');
        if (dropped) {
          state.record(key, dropped.result, started, { reason: dropped.reason });
          return current;
        }
        state.denials.push({ policy: key, message: outcome.message, failure: false });
        state.record(key, 'violated', started, { reason: outcome.location ? `${outcome.location}: ${outcome.message}` : outcome.message });
        return current;
      }
    }
  } catch (error) {
    // The ServiceAccount check failed: a policy failure like any other (DESIGN section 4).
    const why = `ServiceAccount check failed: ${error instanceof Error ? error.message : String(error)}`;
    await applyFailure(state, definition, plainFailure(why), started, false);
    return current;
  }
}

function denialStatus(denials: readonly Denial[]): EngineDecision['status'] {
  const failure = denials.some((d) => d.failure);
  const message =
    denials.length === 1 ? denials[0]!.message : denials.map((d) => (d.failure ? d.message : `${d.policy}: ${d.message}`)).join('; ');
  return failure
    ? { code: FAILURE_CODE, message, reason: 'InternalError' }
    : { code: VIOLATION_CODE, message, reason: 'Forbidden' };
}

const ALLOW_UNTOUCHED: Omit<EngineDecision, 'outcomes'> = { allowed: true, patch: [], warnings: [], auditAnnotations: {} };

export async function evaluate(request: EngineRequest, snapshot: PolicySnapshot, ctx: EvaluationContext): Promise<EngineDecision> {
  const excluded = whyRequestExcluded(request, ctx.exclusions);
  if (excluded) {
    ctx.logger.debug({ uid: request.uid, reason: excluded }, 'request excluded');
    return { ...ALLOW_UNTOUCHED, outcomes: [] };
  }
  // The object policies see: the admitted object, or the old one for DELETE.
  const subject = request.operation === 'DELETE' ? request.oldObject : (request.object ?? request.oldObject);
  if (!subject) return { ...ALLOW_UNTOUCHED, outcomes: [] };

  const state = new RequestState(request, subject, ctx);
  let current = subject;
  for (const policy of snapshot.policies) {
    if (!policy.definition) continue;
    current = await evaluatePolicy(state, policy, current);
  }

  const base = { warnings: state.warnings, auditAnnotations: state.auditAnnotations, outcomes: state.outcomes };
  if (state.denials.length > 0) {
    ctx.logger.info({ uid: request.uid, policies: state.denials.map((d) => d.policy) }, 'request denied');
    return { allowed: false, status: denialStatus(state.denials), patch: [], ...base };
  }
  const patch = request.phase === 'mutate' && current !== subject ? jsonpatch.compare(subject, current) : [];
  return { allowed: true, patch, ...base };
}

/** A policy can log once per step; the server log gets at most this many messages per run. */
export const MAX_POLICY_LOGS = 100;
const MAX_POLICY_LOG_CHARS = 1024;

/**
 * print() output goes to the log at debug level; `log.<level>(...)` messages at their level, each
 * with the policy, the request uid and the operation, and `policyLog: true` so tools can pick them
 * out of kclguard's own messages.
 */
function logPolicyOutput(logger: EngineLogger, request: EngineRequest, policy: string, printed: string, logs: readonly PolicyLogEntry[]): void {
  if (printed) logger.debug({ uid: request.uid, policy, printed: printed.slice(0, 4096) }, 'policy output');
  for (const entry of logs.slice(0, MAX_POLICY_LOGS)) {
    logger[entry.level]({ uid: request.uid, policy, operation: request.operation, policyLog: true }, entry.message.slice(0, MAX_POLICY_LOG_CHARS));
  }
  if (logs.length > MAX_POLICY_LOGS) {
    logger.warn({ uid: request.uid, policy, dropped: logs.length - MAX_POLICY_LOGS }, 'policy logged more messages than are kept');
  }
}
