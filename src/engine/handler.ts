/**
 * The AdmissionHandler factory: what the transport calls for every review. It takes the current
 * snapshot once per request (so a reload mid-request cannot mix two sets), evaluates, and never
 * throws: an internal error becomes a 500 denial naming no internals, and is logged.
 */
import { allowAllAuthorizer, DEFAULT_AUTHORIZER_TIMEOUT_MS, type Authorizer } from './authorizer.js';
import type { AdmissionHandler, EngineDecision } from './contract.js';
import { evaluate, FAILURE_CODE } from './evaluate.js';
import { DEFAULT_EXCLUSIONS, type ExclusionConfig } from './exclusions.js';
import { silentLogger, type EngineLogger } from './logger.js';
import type { NamespaceLookup } from './namespaces.js';
import type { EngineObserver } from './observer.js';
import type { PolicySnapshot } from './policy-set.js';

export interface SnapshotSource {
  snapshot(): PolicySnapshot;
}

export interface AdmissionHandlerOptions {
  readonly policies: SnapshotSource;
  /** Default: allow every ServiceAccount (local mode without RBAC). Wrap real ones in cachingAuthorizer. */
  readonly authorizer?: Authorizer;
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

export function createAdmissionHandler(options: AdmissionHandlerOptions): AdmissionHandler {
  const logger = options.logger ?? silentLogger;
  const ctx = {
    authorizer: options.authorizer ?? allowAllAuthorizer,
    namespaces: options.namespaces,
    exclusions: { ...DEFAULT_EXCLUSIONS, ...options.exclusions },
    observer: options.observer,
    logger,
    now: options.now ?? Date.now,
    authorizerTimeoutMs: options.authorizerTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS,
  };
  return async (request): Promise<EngineDecision> => {
    try {
      return await evaluate(request, options.policies.snapshot(), ctx);
    } catch (error) {
      logger.error({ uid: request.uid, err: error instanceof Error ? error.message : String(error) }, 'engine error');
      return {
        allowed: false,
        status: { code: FAILURE_CODE, message: 'kclguard could not evaluate its policies (internal error)', reason: 'InternalError' },
        patch: [],
        warnings: [],
        auditAnnotations: {},
        outcomes: [],
      };
    }
  };
}
