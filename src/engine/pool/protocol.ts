/**
 * Messages between the pool (main thread) and a policy worker. Plain data only: everything
 * crosses a MessagePort by structured clone.
 */
import { admissionParts } from '../contract.js';
import type { CompileOutcome, ExecutablePolicy, RunJob, RunReport } from '../executor.js';

export type ToWorker =
  | { readonly type: 'prepare'; readonly id: number; readonly generation: number; readonly policies: readonly ExecutablePolicy[] }
  | { readonly type: 'compile'; readonly id: number; readonly policies: readonly ExecutablePolicy[] }
  | { readonly type: 'run'; readonly id: number; readonly job: RunJob }
  | { readonly type: 'release'; readonly generation: number };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'prepared'; readonly id: number; readonly generation: number }
  | { readonly type: 'compiled'; readonly id: number; readonly outcomes: readonly CompileOutcome[] }
  | { readonly type: 'ran'; readonly id: number; readonly report: RunReport }
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
}

/**
 * A job's request as it crosses to a worker: when the transport kept the AdmissionReview text,
 * that text (a cheap string copy) travels instead of the objects and the request view, whose
 * structured clone was the main thread's largest cost per review. The worker parses the text back.
 */
export function slimJob(job: RunJob): RunJob {
  const { request } = job;
  if (request.reviewText === undefined) return job;
  const { object: _object, oldObject: _oldObject, requestView: _view, ...rest } = request;
  return { ...job, request: { ...rest, requestView: {} } };
}

/** The job as the engine built it, on the worker side of slimJob. */
export function restoreJob(job: RunJob): RunJob {
  const { request } = job;
  if (request.reviewText === undefined) return job;
  const review = JSON.parse(request.reviewText) as { request?: Record<string, unknown> };
  const parts = admissionParts(review.request ?? {});
  return { ...job, request: { ...request, ...parts } };
}
