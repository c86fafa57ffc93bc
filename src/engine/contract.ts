/**
 * The seam between the admission transport (src/admission, src/server) and the policy engine.
 * The engine never sees HTTP or AdmissionReview envelopes: the transport turns a decoded
 * AdmissionRequest into an EngineRequest and an EngineDecision back into an AdmissionResponse.
 */
import { ownMembersExcept } from './json-data.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** Which webhook asked: mutate runs `mode: Auto` policies, validate runs `mode: Validate`. */
export type Phase = 'mutate' | 'validate';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface UserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

type JsonObject = Record<string, unknown>;

export interface EngineRequest {
  readonly uid: string;
  readonly phase: Phase;
  readonly operation: Operation;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource?: string;
  readonly name?: string;
  /** Empty for cluster-scoped objects. */
  readonly namespace?: string;
  /** The object being admitted (absent for DELETE). */
  readonly object?: JsonObject;
  /** The previous object (UPDATE, DELETE). */
  readonly oldObject?: JsonObject;
  readonly userInfo: UserInfo;
  readonly dryRun: boolean;
  /** The AdmissionRequest minus object/oldObject, passed to policies as option("request"). */
  readonly requestView: JsonObject;
  /** Absolute deadline (ms since epoch, from `?timeout=`) the whole evaluation must end by. */
  readonly deadline?: number;
  /**
   * The AdmissionReview JSON text this request was decoded from, when the transport has it: an
   * executor that runs policies in another thread sends this text (a copy of a string) instead
   * of cloning the objects, and the objects and request view are taken from it there
   * (`admissionParts`). Must decode to exactly `object`, `oldObject` and `requestView`.
   */
  readonly reviewText?: string;
  /**
   * Set for background audit's requests (no API server is waiting): an executor runs them behind
   * every admission request (the pool's background lane).
   */
  readonly background?: boolean;
}

const THE_OBJECTS: ReadonlySet<string> = new Set(['object', 'oldObject']);

/**
 * An AdmissionRequest split the way policies see it: the objects, and option("request") — the
 * request without the two objects (copying them again would double the conversion cost).
 */
export function admissionParts(request: Readonly<Record<string, unknown>>): {
  object?: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
  requestView: Record<string, unknown>;
} {
  const requestView = ownMembersExcept(request, THE_OBJECTS);
  const { object, oldObject } = request;
  const parts: ReturnType<typeof admissionParts> = { requestView };
  if (object) parts.object = object as Record<string, unknown>;
  if (oldObject) parts.oldObject = oldObject as Record<string, unknown>;
  return parts;
}

/** The result of one policy for one request, as data (Kyverno-style rule result). */
export type PolicyResult =
  | 'mutated'
  | 'passed'
  | 'violated'
  | 'failed'
  | 'not_consented'
  | 'not_authorized'
  | 'skipped'
  | 'not_selected';

export type FailureAction = 'abort' | 'warn' | 'skip';

export interface PolicyOutcome {
  /** `namespace/name` for KCLRun, `cluster/name` for ClusterKCLRun. */
  readonly policy: string;
  readonly result: PolicyResult;
  /** Why: the assert message, the error with its KCL file:line:col, the consent rule... */
  readonly reason?: string;
  /** For `failed`: the failureAction that was applied. */
  readonly action?: FailureAction;
  /** For a failure with a diagnostic: its code (K9003 for a timeout, E3M38...). */
  readonly code?: string;
  /** For `violated`: what the violation did (the policy's validationActions). */
  readonly actions?: readonly ('Deny' | 'Warn' | 'Audit')[];
  /** For `failed`: the action came from the policy's recovery program, with its message if any. */
  readonly recovery?: { readonly message?: string } | { readonly failed: string };
  readonly durationSeconds: number;
}

/**
 * Why a request is denied, as what happened — the transport (src/admission/response.ts) chooses
 * the HTTP-like status code for each kind.
 * - violation: a policy's assert/check failed (the object breaks the rule);
 * - failure: a policy could not run and its failureAction is abort;
 * - invalid_policy: a KCLRun being written does not validate or compile;
 * - internal: kclguard itself could not evaluate.
 */
export interface Denial {
  readonly kind: 'violation' | 'failure' | 'invalid_policy' | 'internal';
  readonly message: string;
  /** The policies that denied (empty for internal errors and invalid policies). */
  readonly policies: readonly string[];
}

export interface EngineDecision {
  readonly allowed: boolean;
  /** Set exactly when allowed is false. */
  readonly denial?: Denial;
  /** RFC 6902 operations transforming the admitted object into the mutated one (mutate phase only). */
  readonly patch: readonly { readonly op: string; readonly path: string; readonly value?: unknown; readonly from?: string }[];
  /** Warnings for the AdmissionResponse (the transport enforces the API server's limits). */
  readonly warnings: readonly string[];
  /** auditAnnotations for the AdmissionResponse (failureAction warn). */
  readonly auditAnnotations: Readonly<Record<string, string>>;
  readonly outcomes: readonly PolicyOutcome[];
}

/** The one function type the transport calls. Never throws; never does I/O except the cached authorizer. */
export type AdmissionHandler = (request: EngineRequest) => Promise<EngineDecision>;
