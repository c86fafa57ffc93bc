/**
 * Evaluates one admission request against one policy snapshot (DESIGN sections 1-5):
 * selection, consent, the ServiceAccount check, failureAction, ordering and the final patch.
 *
 * Mutate phase: `mode: Auto` policies in snapshot order, each seeing the previous one's output;
 * one RFC 6902 patch from the admitted object to the last output. Validate phase: `mode:
 * Validate` policies on the object as admitted (the final object, after every mutating webhook).
 */
import jsonpatch from 'fast-json-patch';
import { authorizeEffect, type Authorizer } from './authorizer.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { consentFor, permits, type Consent, type ConsentEffect } from './consent.js';
import type { EngineDecision, EngineRequest, FailureAction, PolicyOutcome, PolicyResult } from './contract.js';
import { isSystemNamespaceRequest, whyRequestExcluded, type ExclusionConfig } from './exclusions.js';
import type { EngineLogger } from './logger.js';
import { auditKey, singleLine } from './messages.js';
import type { PolicyDefinition } from './model.js';
import { namespaceInfo, type NamespaceLookup } from './namespaces.js';
import { notify, type EngineObserver } from './observer.js';
import type { PolicySnapshot } from './policy-set.js';
import type { RunSession } from './policy-compiler.js';
import { runPolicy } from './run-policy.js';
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
}

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
  if (sa && !(await authorizeEffect(state.ctx.authorizer, sa, state.request, effect))) {
    const reason = `ServiceAccount ${sa.namespace}/${sa.name} may not ${state.request.operation.toLowerCase()} or ${effect} ${state.request.resource.resource}`;
    state.warn(`kclguard: ${noun} by policy ${key} dropped: ${reason}`);
    return { result: 'not_authorized', reason };
  }
  return undefined;
}

/** Applies the policy's failureAction to a failure and records the outcome. */
function applyFailure(state: RequestState, definition: PolicyDefinition, error: string, started: number): void {
  const key = definition.identity.key;
  const action = definition.spec.failureAction;
  const message = `policy ${key} failed: ${error}`;
  state.ctx.logger.warn({ uid: state.request.uid, policy: key, action, error }, 'policy failed');
  // An abort is a denial, and a denial is a validation: the object must consent to it.
  if (action === 'abort' && !permitted(state, definition, 'validate')) {
    const reason = `failure not applied: the object does not consent to validation by this policy (${error})`;
    state.warn(`kclguard: policy ${key} failed; abort dropped: the object does not consent to its validation`);
    state.record(key, 'not_consented', started, { reason });
    return;
  }
  notify(state.ctx.observer, 'onFailureAction', key, action);
  if (action === 'abort') state.denials.push({ policy: key, message, failure: true });
  if (action === 'warn') {
    state.warn(`kclguard: ${message}`);
    state.auditAnnotations[auditKey(key)] = singleLine(message, 1024);
  }
  state.record(key, 'failed', started, { reason: error, action });
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
    applyFailure(state, definition, `the policy is invalid: ${policy.errors.join('; ')}`, started);
    return current;
  }
  const { request, ctx } = state;
  const outcome = runPolicy(definition, policy.program, current, request, { deadline: request.deadline, now: ctx.now }, (printed) =>
    ctx.logger.debug({ uid: request.uid, policy: key, printed: printed.slice(0, 4096) }, 'policy output'),
    state.session,
  );
  try {
    switch (outcome.kind) {
      case 'unchanged':
        state.record(key, 'passed', started);
        return current;
      case 'failed':
        applyFailure(state, definition, outcome.error, started);
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
    applyFailure(state, definition, `ServiceAccount check failed: ${error instanceof Error ? error.message : String(error)}`, started);
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
