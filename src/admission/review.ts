/**
 * One admission review, from a parsed JSON body to the answer: decode, build the EngineRequest,
 * call the handler, build the response. Never throws: bad input becomes an AdmissionInputError
 * answer (HTTP 400) and a failing handler an `errored` AdmissionReview that still echoes the uid.
 */
import type { AdmissionHandler, Denial, EngineDecision, Phase } from '../engine/index.js';
import { decodeAdmissionReview } from './decode.js';
import { AdmissionInputError, errorBody } from './errors.js';
import { errored, fromDecision, review } from './response.js';
import { deadlineFromTimeout } from './timeout.js';
import { toEngineRequest } from './to-engine-request.js';
import type { AdmissionRequest, AdmissionReviewResponse } from './types.js';

/** Bounded label values for metrics: one of these, never free text. */
export type ReviewDecision = 'allowed' | 'patched' | 'denied' | 'errored' | 'rejected';

export interface ReviewInput {
  readonly phase: Phase;
  readonly body: unknown;
  /** The JSON text `body` was parsed from, passed on to the engine (see EngineRequest.reviewText). */
  readonly text?: string;
  /** The raw `?timeout=` query value, if any. */
  readonly timeout?: string;
  readonly handler: AdmissionHandler;
  readonly now?: number;
}

export interface ReviewResult {
  readonly httpStatus: number;
  readonly body: AdmissionReviewResponse | ReturnType<typeof errorBody>;
  readonly decision: ReviewDecision;
  /** The decoded request's operation; 'unknown' when the input was refused. */
  readonly operation: string;
  readonly request?: AdmissionRequest;
  /** Set when the handler threw or returned something unusable (for the log, not the caller). */
  readonly failure?: unknown;
  readonly inputError?: AdmissionInputError;
  readonly droppedPatch?: boolean;
  readonly droppedAuditKeys?: readonly string[];
  /** Why a request was denied, for the log: the kind and the policies, never the message. */
  readonly denial?: Pick<Denial, 'kind' | 'policies'>;
}

export async function reviewAdmission(input: ReviewInput): Promise<ReviewResult> {
  let request: AdmissionRequest;
  let deadline: number;
  try {
    request = decodeAdmissionReview(input.body).request;
    deadline = deadlineFromTimeout(input.timeout, input.now ?? Date.now());
  } catch (error) {
    return refused(error);
  }
  // The results below are built key by key, not as `{ ...base, more }`: V8 adds keys after a
  // spread on a slow path (about 2 µs here), and results built that way made all they reference,
  // the whole review included, survive the next scavenge (docs/performance.md).
  const { operation } = request;
  let decision: EngineDecision;
  try {
    decision = await withDeadline(input.handler(toEngineRequest(request, input.phase, deadline, input.text)), deadline);
    assertDecisionShape(decision);
  } catch (error) {
    return {
      operation,
      request,
      httpStatus: 200,
      body: review(errored(request.uid, causeOf(error))),
      decision: 'errored',
      failure: error,
    };
  }
  const answer = fromDecision(input.phase, request.uid, decision);
  const label: ReviewDecision = !answer.response.allowed ? 'denied' : answer.response.patch ? 'patched' : 'allowed';
  return {
    operation,
    request,
    httpStatus: 200,
    body: review(answer.response),
    decision: label,
    droppedPatch: answer.droppedPatch,
    droppedAuditKeys: answer.droppedAuditKeys,
    denial: decision.denial,
  };
}

function refused(thrown: unknown): ReviewResult {
  const error = thrown instanceof AdmissionInputError ? thrown : new AdmissionInputError('A4006', 'invalid AdmissionReview');
  return { httpStatus: error.httpStatus, body: errorBody(error), decision: 'rejected', operation: 'unknown', inputError: error };
}

/** The seam promises a decision; a broken engine must not make the transport crash either. */
function assertDecisionShape(decision: unknown): asserts decision is EngineDecision {
  const d = decision as Partial<EngineDecision> | null;
  if (
    d === null ||
    typeof d !== 'object' ||
    typeof d.allowed !== 'boolean' ||
    !Array.isArray(d.patch) ||
    !Array.isArray(d.warnings)
  ) {
    throw new Error('the policy engine returned a malformed decision');
  }
}

/**
 * The engine is asked to finish by the deadline; this guards against one that does not (a hung
 * await), so the API server still gets an answer before its own timeout.
 */
async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('policy evaluation did not finish before the webhook timeout')),
      Math.max(0, deadline - Date.now()),
    );
    // The server keeps the process alive; this timer alone must not.
    timer.unref();
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function causeOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  return 'the policy engine failed with a non-error value';
}
