/**
 * The AdmissionHandler factory: what the transport calls for every review. It holds the current
 * snapshot for the whole request (so a reload mid-request cannot mix two sets, and the executor
 * keeps that generation's programs until the request is done), evaluates, and never throws: an
 * internal error becomes an `internal` denial naming no internals, and is logged.
 */
import { allowAllAuthorizer, DEFAULT_AUTHORIZER_TIMEOUT_MS, type Authorizer } from './authorizer.js';
import type { AdmissionHandler, EngineDecision } from './contract.js';
import { evaluate } from './evaluate.js';
import { noExempt, type ExemptCheck } from './exempt.js';
import { DEFAULT_EXCLUSIONS, type ExclusionConfig } from './exclusions.js';
import { silentLogger, type EngineLogger } from './logger.js';
import type { NamespaceLookup } from './namespaces.js';
import type { EngineObserver } from './observer.js';
import type { PolicySet, SnapshotLease } from './policy-set.js';
import type { EvaluationContext } from './request-state.js';

export interface AdmissionHandlerOptions {
  readonly policies: PolicySet;
  /** Default: allow every ServiceAccount (local mode without RBAC). Wrap real ones in cachingAuthorizer. */
  readonly authorizer?: Authorizer;
  /**
   * May this user exempt objects from this policy (their own canValidate veto counts)? Default:
   * nobody may. Unlike the ServiceAccount check, whose allow-all default still enforces, an
   * allow-all exempt would let anyone who writes a canValidate annotation past every guardrail;
   * a caller that wants that (the offline CLI without --rbac) says so with allowAllExempt.
   */
  readonly exempt?: ExemptCheck;
  readonly namespaces?: NamespaceLookup;
  /** Default: kube-system, kube-node-lease; Lease, Event, TokenReview, SubjectAccessReview. */
  readonly exclusions?: Partial<ExclusionConfig>;
  readonly observer?: EngineObserver;
  readonly logger?: EngineLogger;
  /** Wall clock in ms since epoch; tests inject a fake one. */
  readonly now?: () => number;
  /**
   * Upper bound (ms) of one ServiceAccount check; the request deadline minus a small margin may
   * shorten it. A check that takes longer is a policy failure. Default 3 s.
   */
  readonly authorizerTimeoutMs?: number;
}

export const INTERNAL_ERROR_MESSAGE = 'kclguard could not evaluate its policies (internal error)';

export function internalErrorDecision(): EngineDecision {
  return {
    allowed: false,
    denial: { kind: 'internal', message: INTERNAL_ERROR_MESSAGE, policies: [] },
    patch: [],
    warnings: [],
    auditAnnotations: {},
    outcomes: [],
  };
}

export function createAdmissionHandler(options: AdmissionHandlerOptions): AdmissionHandler {
  const logger = options.logger ?? silentLogger;
  const ctx: EvaluationContext = {
    executor: options.policies.executor,
    authorizer: options.authorizer ?? allowAllAuthorizer,
    exempt: options.exempt ?? noExempt,
    namespaces: options.namespaces,
    exclusions: { ...DEFAULT_EXCLUSIONS, ...options.exclusions },
    observer: options.observer,
    logger,
    now: options.now ?? Date.now,
    authorizerTimeoutMs: options.authorizerTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS,
  };
  return async (request): Promise<EngineDecision> => {
    let lease: SnapshotLease | undefined;
    try {
      lease = options.policies.acquire();
      return await evaluate(request, lease.snapshot, ctx);
    } catch (error) {
      logger.error({ uid: request.uid, err: error instanceof Error ? error.message : String(error) }, 'engine error');
      return internalErrorDecision();
    } finally {
      lease?.release();
    }
  };
}
