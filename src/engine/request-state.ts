/**
 * What the engine accumulates while deciding one admission request: each policy's outcome, the
 * warnings and audit annotations of the answer, the denials, and the consent the object (or its
 * Namespace) gives — read once per request from the object as admitted, so an earlier policy's
 * mutation can never grant a later policy consent.
 */
import type { Authorizer } from './authorizer.js';
import { consentFor, permits, type Consent, type ConsentEffect } from './consent.js';
import type { EngineRequest, PolicyOutcome, PolicyResult } from './contract.js';
import type { PolicyExecutor } from './executor.js';
import type { ExclusionConfig } from './exclusions.js';
import type { ExemptCheck } from './exempt.js';
import type { EngineLogger } from './logger.js';
import { singleLine } from './messages.js';
import type { PolicyDefinition } from './model.js';
import type { NamespaceInfo, NamespaceLookup } from './namespaces.js';
import { notify, type EngineObserver } from './observer.js';
import { objectNamespace } from './selector.js';

type JsonObject = Record<string, unknown>;

export interface EvaluationContext {
  readonly executor: PolicyExecutor;
  readonly authorizer: Authorizer;
  readonly namespaces?: NamespaceLookup;
  readonly exclusions: ExclusionConfig;
  readonly observer?: EngineObserver;
  readonly logger: EngineLogger;
  /** Wall clock in ms since epoch (deadlines are absolute). */
  readonly now: () => number;
  /** Upper bound of one ServiceAccount check in ms; the request deadline may shorten it. */
  readonly authorizerTimeoutMs?: number;
  /**
   * Whether the requesting user may exempt objects from this policy (the custom verb `exempt` on
   * kclruns / clusterkclruns, docs/policy-semantics.md). Rejects when the check itself failed.
   */
  readonly exempt: ExemptCheck;
}

/** A denial, before the transport turns it into an AdmissionResponse status. */
export interface PolicyDenial {
  readonly policy: string;
  readonly message: string;
  /** A failed policy (failureAction abort), as opposed to a violation. */
  readonly failure: boolean;
}

export type OutcomeDetail = Pick<PolicyOutcome, 'reason' | 'action' | 'code' | 'actions' | 'recovery'>;

export class RequestState {
  readonly outcomes: PolicyOutcome[] = [];
  readonly warnings: string[] = [];
  readonly auditAnnotations: Record<string, string> = {};
  readonly denials: PolicyDenial[] = [];
  private readonly consents = new Map<ConsentEffect, Consent>();
  private readonly namespaceConsents = new Map<ConsentEffect, Consent>();

  constructor(
    readonly request: EngineRequest,
    readonly subject: JsonObject,
    /**
     * The object's Namespace (labels, annotations); undefined for cluster-scoped objects,
     * 'unknown' when it could not be read (its consent then counts as absent).
     */
    readonly namespace: NamespaceInfo | 'unknown' | undefined,
    readonly ctx: EvaluationContext,
  ) {}

  consent(effect: ConsentEffect): Consent {
    let consent = this.consents.get(effect);
    if (!consent) {
      consent = consentFor(effect, this.subject, this.namespace === 'unknown' ? undefined : this.namespace?.annotations);
      if (consent.error) this.warn(`kclguard: ${consent.error}`);
      this.consents.set(effect, consent);
    }
    return consent;
  }

  permitted(definition: PolicyDefinition, effect: ConsentEffect): boolean {
    return permits(this.consent(effect), definition.identity, objectNamespace(this.request), definition.spec.strictMode);
  }

  /**
   * Whether the Namespace's own annotation names the policy for the effect, whatever the object
   * says: an admin's opt-in to a strictMode policy, which the object's list (that otherwise
   * replaces the Namespace's) must not be able to undo without the exempt check. A Namespace
   * that could not be read may be the one that opted in: true, so that such a policy takes part
   * and fails with its failureAction (evaluate.ts, namespaceUnknown) instead of being skipped.
   */
  namespaceNames(definition: PolicyDefinition, effect: ConsentEffect): boolean {
    if (this.namespace === 'unknown') return true;
    if (this.namespace === undefined) return false;
    let consent = this.namespaceConsents.get(effect);
    if (!consent) {
      consent = consentFor(effect, undefined, this.namespace.annotations);
      this.namespaceConsents.set(effect, consent);
    }
    return consent.source === 'namespace' && permits(consent, definition.identity, objectNamespace(this.request), true);
  }

  warn(text: string): void {
    const line = singleLine(text);
    if (!this.warnings.includes(line)) this.warnings.push(line);
  }

  record(policy: string, result: PolicyResult, durationSeconds: number, detail: OutcomeDetail = {}): void {
    this.outcomes.push({ policy, result, durationSeconds, ...detail });
    if (result !== 'not_selected') notify(this.ctx.observer, 'onPolicyEvaluated', policy, result, durationSeconds);
  }
}
