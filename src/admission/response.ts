/**
 * AdmissionResponse builders. Every answer kclguard sends goes through these, so the API server's
 * rules hold in one place: the uid is echoed, `patchType: JSONPatch` comes only with a non-empty
 * base64 RFC 6902 patch, a denial's status.code is >= 400 and warnings obey their limits.
 */
import type { Denial, EngineDecision, Phase } from '../engine/index.js';
import { sanitizeWarnings, toSingleLine, truncateRunes, withoutTerminalControls } from './warnings.js';
import {
  ADMISSION_API_VERSION,
  ADMISSION_KIND,
  type AdmissionResponse,
  type AdmissionReviewResponse,
  type AdmissionStatus,
} from './types.js';

export type JsonPatchOperation = { op: string; path: string; value?: unknown; from?: string };

export interface ResponseExtras {
  readonly warnings?: readonly string[];
  readonly auditAnnotations?: Readonly<Record<string, string>>;
}

/** The status code the API server itself uses for a webhook denial without one. */
export const DEFAULT_DENIAL_CODE = 403;
/** Kubernetes keeps status messages short; a policy's message is cut to this many runes. */
const MAX_STATUS_MESSAGE_RUNES = 4096;
/** An engine failure's cause is one line of at most this many runes; detail goes to the log. */
const MAX_CAUSE_RUNES = 1024;
// The API server prefixes each key with the webhook name and rejects keys that are not the name
// part of a qualified name; an invalid one would fail the whole admission.
const AUDIT_KEY = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

export function allowed(uid: string, extras: ResponseExtras = {}): AdmissionResponse {
  return withExtras({ uid, allowed: true }, extras);
}

export function denied(uid: string, status: Partial<AdmissionStatus>, extras: ResponseExtras = {}): AdmissionResponse {
  const code =
    typeof status.code === 'number' && Number.isInteger(status.code) && status.code >= 400 && status.code <= 599
      ? status.code
      : DEFAULT_DENIAL_CODE;
  const message = truncateRunes(withoutTerminalControls(status.message ?? '') || 'denied by kclguard', MAX_STATUS_MESSAGE_RUNES);
  const built: AdmissionStatus = status.reason ? { code, message, reason: status.reason } : { code, message };
  return withExtras({ uid, allowed: false, status: built }, extras);
}

/** An allowed answer carrying the patch; with no operations it is a plain allowed answer. */
export function patched(uid: string, patch: readonly JsonPatchOperation[], extras: ResponseExtras = {}): AdmissionResponse {
  if (patch.length === 0) return allowed(uid, extras);
  const encoded = Buffer.from(JSON.stringify(patch), 'utf8').toString('base64');
  return withExtras({ uid, allowed: true, patchType: 'JSONPatch', patch: encoded }, extras);
}

/**
 * The engine could not decide. Denied with code 500 inside a normal AdmissionReview so the API
 * server shows the cause to the user, rather than an HTTP 500 that its failurePolicy would hide.
 */
export function errored(uid: string, cause: string): AdmissionResponse {
  const text = truncateRunes(toSingleLine(cause) || 'unknown error', MAX_CAUSE_RUNES);
  return {
    uid,
    allowed: false,
    status: { code: 500, reason: 'InternalError', message: `kclguard could not evaluate policies (A5001): ${text}` },
  };
}

/**
 * The status code and reason for each kind of denial, the way the API server and
 * controller-runtime use them: 403 Forbidden for a violation (controller-runtime's `Denied`, as
 * Gatekeeper answers), 500 InternalError for a policy that could not run (failureAction abort)
 * and for kclguard's own errors, 422 Invalid for a KCLRun that does not validate — as the API
 * server answers a spec it cannot accept.
 */
export const DENIAL_STATUS: Readonly<Record<Denial['kind'], { readonly code: number; readonly reason: string }>> = {
  violation: { code: 403, reason: 'Forbidden' },
  failure: { code: 500, reason: 'InternalError' },
  invalid_policy: { code: 422, reason: 'Invalid' },
  internal: { code: 500, reason: 'InternalError' },
};

function denialStatus(denial: Denial | undefined): Partial<AdmissionStatus> {
  if (!denial) return { code: DEFAULT_DENIAL_CODE, message: 'denied by kclguard' };
  return { ...DENIAL_STATUS[denial.kind], message: denial.message };
}

export interface DecisionAnswer {
  readonly response: AdmissionResponse;
  /** True when the engine returned a patch for /validate, which the API server would refuse. */
  readonly droppedPatch: boolean;
  readonly droppedAuditKeys: readonly string[];
}

/** Maps an EngineDecision to the response for the webhook that asked. */
export function fromDecision(phase: Phase, uid: string, decision: EngineDecision): DecisionAnswer {
  const { auditAnnotations, dropped } = validAuditAnnotations(decision.auditAnnotations);
  const extras: ResponseExtras = { warnings: decision.warnings, auditAnnotations };
  const hasPatch = decision.patch.length > 0;
  if (!decision.allowed) {
    return { response: denied(uid, denialStatus(decision.denial), extras), droppedPatch: false, droppedAuditKeys: dropped };
  }
  if (phase === 'validate') {
    return { response: allowed(uid, extras), droppedPatch: hasPatch, droppedAuditKeys: dropped };
  }
  return { response: patched(uid, decision.patch, extras), droppedPatch: false, droppedAuditKeys: dropped };
}

function validAuditAnnotations(annotations: Readonly<Record<string, string>> | undefined): {
  auditAnnotations: Record<string, string>;
  dropped: string[];
} {
  const auditAnnotations: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (AUDIT_KEY.test(key) && typeof value === 'string') auditAnnotations[key] = value;
    else dropped.push(key);
  }
  return { auditAnnotations, dropped };
}

function withExtras(response: AdmissionResponse, extras: ResponseExtras): AdmissionResponse {
  const warnings = sanitizeWarnings(extras.warnings ?? []);
  const annotations = validAuditAnnotations(extras.auditAnnotations).auditAnnotations;
  // Keys added to a copy made by Object.assign: V8 adds keys slowly to a copy made by a spread,
  // in the literal (`{ ...response, warnings }`) or after it (docs/performance.md).
  const out: { -readonly [K in keyof AdmissionResponse]: AdmissionResponse[K] } = Object.assign({}, response);
  if (warnings.length > 0) out.warnings = warnings;
  if (Object.keys(annotations).length > 0) out.auditAnnotations = annotations;
  return out;
}
