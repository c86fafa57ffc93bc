/**
 * The part of an admission request that runs policy code: each job policy's program in order on
 * the object (in the mutate phase each seeing the previous carried output), then the one RFC 6902
 * patch. Runs wherever the executor runs it — in a worker thread in the server — and returns only
 * plain data. No consent, RBAC or failureAction here: those are decided on the main thread.
 */
import type { CompiledPolicy } from './compiled-policy.js';
import { clipText } from './messages.js';
import { patchBetween } from './patch-diff.js';
import type { JsonPatchOperation, KnownFailure, PolicyFailure, PolicyRun, RecoveryResult, RunJob, RunOutcome, RunReport } from './executor.js';
import { MAX_PATCH_BYTES, MAX_POLICY_LOG_CHARS, MAX_POLICY_LOGS, MAX_POLICY_MESSAGE_CHARS, MAX_PRINTED_CHARS } from './limits.js';
import type { PolicyLogEntry, RunSession } from './policy-compiler.js';
import { runRecovery } from './recovery.js';
import { plainFailure, runPolicy, tooDeepFailure } from './run-policy.js';
import { partAt } from './json-data.js';
import type { LookupClient } from './lookups/lookup-client.js';

type JsonObject = Record<string, unknown>;

/** The compiled policies of one generation, by key. */
export interface CompiledGeneration {
  get(key: string): CompiledPolicy | undefined;
}

/**
 * Added to a policy's index in the progress slot while its recovery program runs, so a watchdog
 * that stops the worker knows it was the recovery program, not the policy, that overran.
 */
export const RECOVERY_PROGRESS = 0x40000000;

/** Told when each policy starts and ends, so a watchdog can stop one that overruns. */
export interface RunProgress {
  started(index: number, budgetMs: number): void;
  ended(): void;
}

export interface RunClock {
  /** Wall clock, ms since epoch (request deadlines are absolute). */
  readonly now: () => number;
}

/** The object policies see: the admitted object, or the old one for DELETE. */
export function subjectOf(request: RunJob['request']): JsonObject | undefined {
  return request.operation === 'DELETE' ? request.oldObject : (request.object ?? request.oldObject);
}

/** The time budget a policy gets: its timeoutMillis, cut by what is left of the request. */
export function policyBudgetMs(timeoutMillis: number, deadline: number | undefined, now: number): number {
  const remaining = deadline === undefined ? Infinity : deadline - now;
  return Math.max(0, Math.floor(Math.min(timeoutMillis, remaining)));
}

export function runJob(job: RunJob, generation: CompiledGeneration, clock: RunClock, progress?: RunProgress, lookups?: LookupClient): RunReport {
  let failures = job.knownFailures ?? {};
  for (;;) {
    const attempt = runOnce(job, failures, generation, clock, progress, lookups);
    if (!('refused' in attempt)) return attempt;
    // The patch cannot go to the API server as it is: the kept mutation patchProblem names fails,
    // and the job runs again without it (at most once per mutating policy).
    failures = { ...failures, [attempt.refused]: attempt.failure };
  }
}

/** A mutation kept for the next policy: what it was given and what it made of it. */
interface CarriedRun {
  readonly key: string;
  readonly input: JsonObject;
  readonly output: JsonObject;
}

/**
 * Why a patch cannot be sent, and which kept mutation fails for it: too large (the last one,
 * since each can only add to the size), or holding a number the API server would read
 * differently (the first one whose own change holds such a number).
 */
function patchProblem(patch: readonly JsonPatchOperation[] | undefined, carried: readonly CarriedRun[]): { key: string; failure: PolicyFailure } | undefined {
  const last = carried[carried.length - 1];
  if (!last) return undefined;
  if (patch === undefined || (patch.length > 0 && Buffer.byteLength(JSON.stringify(patch)) > MAX_PATCH_BYTES)) {
    return { key: last.key, failure: plainFailure(`the patch exceeds ${MAX_PATCH_BYTES} bytes`, 'K9004') };
  }
  const unsafe = patch.find((operation) => operation.op !== 'remove' && holdsUnsafeInteger(operation.value));
  if (!unsafe) return undefined;
  // JSON.stringify writes such a number in its shortest form (2^60 as 1152921504606847000), and
  // one that came in through JSON.parse may already have been rounded (2^53 + 1): either way the
  // API server would store another integer than the object held or the policy meant.
  const culprit = carried.find((run) => holdsUnsafeInteger(run.output, run.input)) ?? last;
  return {
    key: culprit.key,
    failure: plainFailure(`the patch would write an integer beyond ±2^53 at ${unsafe.path}, which kclguard cannot pass to the API server exactly`, 'E3K09'),
  };
}

/**
 * Whether `value` holds an integer beyond ±2^53 that `before` did not hold at the same place.
 * (Not by identity alone: the conversion cannot pair a container holding such an integer, so a
 * policy hands it back as a fresh copy even where it changed nothing.)
 */
function holdsUnsafeInteger(value: unknown, before?: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) && value !== before;
  if (typeof value !== 'object' || value === null || value === before) return false;
  if (Array.isArray(value)) return value.some((item, index) => holdsUnsafeInteger(item, partAt(before, index)));
  for (const key in value) if (Object.hasOwn(value, key) && holdsUnsafeInteger((value as JsonObject)[key], partAt(before, key))) return true;
  return false;
}

function runOnce(
  job: RunJob,
  failures: Readonly<Record<string, KnownFailure>>,
  generation: CompiledGeneration,
  clock: RunClock,
  progress: RunProgress | undefined,
  lookups: LookupClient | undefined,
): RunReport | { refused: string; failure: PolicyFailure } {
  const { request } = job;
  const subject = subjectOf(request);
  const runs: PolicyRun[] = [];
  if (!subject) return { runs, patch: [] };
  // Conversions of the object and the request view are shared by this job's policies.
  const session: RunSession = {};
  let current = subject;
  const carriedRuns: CarriedRun[] = [];
  job.policies.forEach((jobPolicy, index) => {
    const policy = generation.get(jobPolicy.key);
    const known = failures[jobPolicy.key];
    if (known) {
      const { durationSeconds = 0, ...failure } = known;
      const recovery = recover(job, policy, index, failure, current, clock, progress, session);
      runs.push({ key: jobPolicy.key, outcome: { kind: 'failed', ...failure }, durationSeconds, carried: false, ...recovery });
      return;
    }
    const started = performance.now();
    let outcome: RunOutcome;
    let output: { printed: string; logs: readonly PolicyLogEntry[] } | undefined;
    let carried = false;
    if (!policy?.definition) {
      outcome = { kind: 'failed', ...plainFailure('the policy is not loaded (internal error)', 'E3M38') };
    } else if (!policy.program) {
      outcome = { kind: 'failed', ...plainFailure(`the policy is invalid: ${policy.errors.join('; ')}`) };
    } else {
      progress?.started(index, policyBudgetMs(policy.definition.spec.timeoutMillis, request.deadline, clock.now()));
      const result = runPolicy(
        policy.definition,
        policy.program,
        current,
        request,
        { deadline: request.deadline, now: clock.now },
        (printed, logs) => (output = { printed, logs }),
        session,
        lookups?.(policy.definition, job.generation),
      );
      progress?.ended();
      if (result.kind !== 'mutated') outcome = boundedOutcome(result);
      else if (request.phase === 'validate' || request.operation === 'DELETE') {
        // Validate-mode policies may only violate; DELETE has no object to patch.
        outcome = { kind: 'unchanged', note: request.phase === 'validate' ? 'a mode Validate policy may not mutate' : 'a DELETE cannot be mutated' };
      } else {
        const tooDeep = tooDeepFailure(result.object, current);
        if (tooDeep) outcome = { kind: 'failed', ...tooDeep };
        else {
          outcome = { kind: 'mutated' };
          carried = jobPolicy.carry;
          if (carried) {
            carriedRuns.push({ key: jobPolicy.key, input: current, output: result.object });
            current = result.object;
          }
        }
      }
    }
    const recovery = outcome.kind === 'failed' ? recover(job, policy, index, outcome, current, clock, progress, session) : {};
    runs.push({ key: jobPolicy.key, outcome, durationSeconds: (performance.now() - started) / 1000, carried, ...boundedOutput(output), ...recovery });
  });
  const patch = request.phase === 'mutate' && current !== subject ? patchBetween(subject, current, MAX_PATCH_BYTES) : [];
  const problem = patchProblem(patch, carriedRuns);
  if (problem) return { refused: problem.key, failure: problem.failure };
  return { runs, patch: patch ?? [] };
}

/** A violation message or failure text is cut where the policy ran (MAX_POLICY_MESSAGE_CHARS). */
function boundedOutcome(outcome: RunOutcome): RunOutcome {
  if (outcome.kind === 'violated') return { ...outcome, message: clipText(outcome.message, MAX_POLICY_MESSAGE_CHARS) };
  if (outcome.kind === 'failed') return { ...outcome, ...boundedFailure(outcome) };
  return outcome;
}

function boundedFailure(failure: PolicyFailure): Pick<PolicyFailure, 'error' | 'summary'> {
  return { error: clipText(failure.error, MAX_POLICY_MESSAGE_CHARS), summary: clipText(failure.summary, MAX_POLICY_MESSAGE_CHARS) };
}

function boundedRecovery(recovery: RecoveryResult): RecoveryResult {
  if ('failed' in recovery) return { failed: { ...recovery.failed, ...boundedFailure(recovery.failed) } };
  return recovery.message === undefined ? recovery : { ...recovery, message: clipText(recovery.message, MAX_POLICY_MESSAGE_CHARS) };
}

/** Runs the policy's recovery program on its failure, unless it has none or it was stopped before. */
function recover(
  job: RunJob,
  policy: CompiledPolicy | undefined,
  index: number,
  failure: PolicyFailure,
  object: JsonObject,
  clock: RunClock,
  progress: RunProgress | undefined,
  session: RunSession,
): Pick<PolicyRun, 'recovery'> {
  if (!policy?.recovery || !policy.definition) return {};
  const key = policy.identity.key;
  if (job.recoveryStopped?.includes(key)) {
    return { recovery: { failed: plainFailure('the recovery program was stopped (hard deadline or heap limit)', 'K9003') } };
  }
  progress?.started(RECOVERY_PROGRESS + index, policyBudgetMs(policy.definition.spec.timeoutMillis, job.request.deadline, clock.now()));
  const recovery = runRecovery(policy.definition, policy.recovery, failure, object, job.request, { deadline: job.request.deadline, now: clock.now }, session);
  progress?.ended();
  return { recovery: boundedRecovery(recovery) };
}

/** print() and log output travel back to the main thread's log: bounded here, at the source. */
function boundedOutput(output: { printed: string; logs: readonly PolicyLogEntry[] } | undefined): Pick<PolicyRun, 'printed' | 'logs' | 'logsDropped'> {
  if (!output) return {};
  const result: { printed?: string; logs?: readonly PolicyLogEntry[]; logsDropped?: number } = {};
  if (output.printed) result.printed = output.printed.slice(0, MAX_PRINTED_CHARS);
  if (output.logs.length > 0) {
    result.logs = output.logs.slice(0, MAX_POLICY_LOGS).map((entry) => ({ level: entry.level, message: entry.message.slice(0, MAX_POLICY_LOG_CHARS) }));
  }
  if (output.logs.length > MAX_POLICY_LOGS) result.logsDropped = output.logs.length - MAX_POLICY_LOGS;
  return result;
}
