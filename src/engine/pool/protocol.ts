/**
 * Messages between the pool (main thread) and a policy worker. Plain data only. A run and its
 * report — the messages of every admission review — cross as JSON text: a string is copied, not
 * structured-cloned, which measured about half the cost per round trip, and the review text the
 * transport kept travels as it came instead of the objects parsed from it.
 */
import { admissionParts } from '../contract.js';
import { ownMembersExcept } from '../json-data.js';
import type { CompileOutcome, ExecutablePolicy, RunJob, RunReport } from '../executor.js';
import type { WorkerLookupPorts } from './lookup-bridge.js';
import type { WorkerScheduling } from './thread-scheduling.js';

export type ToWorker =
  | { readonly type: 'prepare'; readonly id: number; readonly generation: number; readonly policies: readonly ExecutablePolicy[] }
  | { readonly type: 'compile'; readonly id: number; readonly policies: readonly ExecutablePolicy[] }
  /** `waiting`: sent to a busy worker to run next, if the worker claims it first (progress.ts). */
  | { readonly type: 'run'; readonly id: number; readonly job: string; readonly reviewText?: string; readonly waiting?: boolean }
  | { readonly type: 'release'; readonly generation: number };

export type FromWorker =
  /** `schedulingFailure`: why the worker could not put itself under WorkerConfig.scheduling. */
  | { readonly type: 'ready'; readonly schedulingFailure?: string }
  | { readonly type: 'prepared'; readonly id: number; readonly generation: number }
  | { readonly type: 'compiled'; readonly id: number; readonly outcomes: readonly CompileOutcome[] }
  | { readonly type: 'ran'; readonly id: number; readonly report: string }
  /** A waiting job the pool took back before this worker could start it: it runs elsewhere. */
  | { readonly type: 'revoked'; readonly id: number }
  /** The worker could not handle a message (a bug in kclguard, not in a policy). */
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

export interface WorkerConfig {
  /** A module exporting `compiler: PolicyCompiler` (tests); default kclguard's interpreter. */
  readonly compilerModule?: string;
  /** The progress slot (progress.ts), shared with the pool's watchdog. */
  readonly progress: SharedArrayBuffer;
  /** ms since epoch that progress times count from (Int32 ms fits 24 days). */
  readonly epoch: number;
  /** Budget reported for compiling one policy. */
  readonly compileBudgetMs: number;
  /** The worker's end of its lookup bridge (lookup-bridge.ts). */
  readonly lookups?: WorkerLookupPorts;
  /** The scheduling policy the worker puts itself under as it starts (default normal). */
  readonly scheduling?: WorkerScheduling;
}

/**
 * A job as it crosses to a worker: JSON without the objects and the request view when the
 * transport kept the AdmissionReview text, which travels beside it and is parsed back there.
 */
export function encodeJob(job: RunJob): { job: string; reviewText?: string } {
  const { request } = job;
  if (request.reviewText === undefined) return { job: JSON.stringify(job) };
  const rest = ownMembersExcept(request as unknown as Record<string, unknown>, LEFT_TO_THE_TEXT);
  rest.requestView = {};
  return { job: JSON.stringify({ ...job, request: rest }), reviewText: request.reviewText };
}

/** What decodeJob takes from the review text instead of the job's JSON. */
const LEFT_TO_THE_TEXT: ReadonlySet<string> = new Set(['object', 'oldObject', 'requestView', 'reviewText']);

/** The job as the engine built it, on the worker side of encodeJob. */
export function decodeJob(text: string, reviewText: string | undefined): RunJob {
  const job = JSON.parse(text) as RunJob;
  if (reviewText === undefined) return job;
  const review = JSON.parse(reviewText) as { request?: Record<string, unknown> };
  // Both are fresh from JSON.parse and this function's own: filled in place, not copied.
  const request = job.request as unknown as Record<string, unknown>;
  const { object, oldObject, requestView } = admissionParts(review.request ?? {});
  request.reviewText = reviewText;
  request.requestView = requestView;
  if (object) request.object = object;
  if (oldObject) request.oldObject = oldObject;
  return job;
}
