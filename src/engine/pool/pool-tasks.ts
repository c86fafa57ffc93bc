/**
 * What the worker pool schedules (a job or a compile, and its place in the queue) and what a
 * task's answer is when a worker was stopped under it or no worker was free before its deadline.
 */
import { diagnostic, formatDiagnosticShort, type ErrorCode } from '../../kcl/index.js';
import type { CompileOutcome, ExecutablePolicy, KnownFailure, RunJob, RunReport } from '../executor.js';
import { plainFailure } from '../run-policy.js';
import type { Lane } from './lanes.js';
import type { ExitCause } from './pool-worker.js';

export type Task =
  | { readonly kind: 'run'; job: RunJob; readonly resolve: (report: RunReport) => void }
  | {
      readonly kind: 'compile';
      readonly policies: readonly ExecutablePolicy[];
      readonly known: Map<number, CompileOutcome>;
      readonly resolve: (outcomes: CompileOutcome[]) => void;
    };

export interface Entry {
  readonly task: Task;
  /** The lane it ran in (set when it starts: costs are read when it is scheduled, not queued). */
  lane: Lane;
  /** The heavy policy and namespace a cap counts this job against, when it runs in the heavy lane. */
  heavyKey?: string;
  /** Some of its policies' costs are not known yet (set when it starts, as `lane`). */
  onProbation?: boolean;
  /** The worker task id it was sent as (progress.ts speaks of it). */
  taskId?: number;
  /** What its policies are expected to take, ms (set when it is sent ahead to a busy worker). */
  expectedMs?: number;
  /** When it became the job its worker runs now (after the one ahead of it, if it was sent ahead). */
  headSince?: number;
  readonly deadline?: number;
  readonly enqueuedAt: number;
  /** Its place in arrival order (entries taken back are queued again in this order). */
  readonly arrival: number;
  readonly reject: (error: Error) => void;
}

/** How a job is scheduled, from what is known about its policies' costs right now. */
export interface Placement {
  readonly lane: Lane;
  /** Its heaviest heavy policy and the object's namespace, in the heavy lane. */
  readonly heavyKey?: string;
  /** Its policies whose cost is not known yet. */
  readonly probation: readonly string[];
}

/** The request's deadline passed while the task waited for a worker: every pending part fails K9003. */
export function expireTask(task: Task): void {
  const failure = { ...plainFailure('no policy worker was free before the request deadline (the pool is busy with slow policies)', 'K9003'), code: 'K9003' as ErrorCode };
  if (task.kind === 'compile') {
    task.policies.forEach((policy, i) => {
      if (!task.known.has(i)) task.known.set(i, stoppedCompile(policy, failure, 'before compiling', false));
    });
    task.resolve(mergeOutcomes(task, []));
    return;
  }
  const known = task.job.knownFailures ?? {};
  task.resolve({
    runs: task.job.policies.map(({ key }) => ({
      key,
      outcome: { kind: 'failed' as const, ...(known[key] ?? failure) },
      durationSeconds: known[key]?.durationSeconds ?? 0,
      carried: false,
    })),
    patch: [],
  });
}

/** Why the pool stopped a policy, as the failure its failureAction handles. */
export function stopFailure(cause: ExitCause, budgetMs: number, elapsedMs: number, heapMb: number): KnownFailure & { code: ErrorCode } {
  switch (cause) {
    case 'memory':
      return { ...plainFailure(`exceeded the policy worker's heap limit of ${heapMb} MiB; the worker was replaced`, 'K9004'), code: 'K9004' };
    case 'deadline':
      return { ...plainFailure(`still running ${Math.round(elapsedMs)} ms into a ${budgetMs} ms budget; stopped (hard deadline) and its worker replaced`, 'K9003'), code: 'K9003' };
    default:
      return { ...plainFailure('its policy worker crashed; the worker was replaced', 'E3M38'), code: 'E3M38' };
  }
}

/** A compile the pool stopped (or never started), as the diagnostic status and `check` show. */
export function stoppedCompile(policy: ExecutablePolicy, failure: { error: string; code: ErrorCode }, when: string, stopped = true): CompileOutcome {
  const found = diagnostic(failure.code, `${failure.error.replace(/^\w+ \w+: /, '')} (${when})`, { file: policy.filename, line: 1, col: 1, endLine: 1, endCol: 1 });
  return { ok: false, diagnostics: [found], errors: [formatDiagnosticShort(found)], stopped };
}

export function mergeOutcomes(task: Extract<Task, { kind: 'compile' }>, fresh: readonly CompileOutcome[]): CompileOutcome[] {
  let next = 0;
  return task.policies.map((_, i) => task.known.get(i) ?? fresh[next++] ?? { ok: false, diagnostics: [], errors: ['not compiled'] });
}
