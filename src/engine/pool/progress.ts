/**
 * A worker's progress slot: Int32s in a SharedArrayBuffer that the worker writes when it starts
 * each task and each policy (run or compile) and the pool's watchdog reads without a message
 * round trip — a worker stuck in a policy cannot answer messages, which is the point.
 *
 * The slot also holds the hand-over of waiting jobs (jobs sent to a busy worker to run next, up to
 * MAX_OFFERS at once): the pool offers each one's task id in a free field, and exactly one side
 * wins it with a compare-and-swap — the worker when it starts the job, or the pool when it takes
 * the job back to run elsewhere.
 */
import type { RunProgress } from '../run-job.js';

const STATE = 0;
const INDEX = 1;
const STARTED = 2;
const BUDGET = 3;
/** The id of the task (pool message) the worker is in or last was in. */
const TASK = 4;
/**
 * Waiting jobs offered to the worker at once, at most: the pool's PIPELINE_DEPTH jobs sent ahead,
 * and the job that became the worker's next one before the worker claimed it.
 */
export const MAX_OFFERS = 17;
/** The ids of the waiting jobs the pool offered and nobody has taken yet; 0 is a free field. */
const WAITING = 5;
const SLOTS = WAITING + MAX_OFFERS;
const IDLE = 0;
const BUSY = 1;
const NONE = 0;

export function createProgressBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

/** The slot's fields, as both sides read and write them (made once per side, not per call). */
export type ProgressSlot = Int32Array;

export function progressSlot(buffer: SharedArrayBuffer): ProgressSlot {
  return new Int32Array(buffer);
}

/** What the slot says: the policy (index in the current task) running since when, on what budget. */
export interface ProgressReading {
  readonly index: number;
  /** ms since the slot's epoch. */
  readonly startedAt: number;
  readonly budgetMs: number;
}

export function readProgress(slot: ProgressSlot): ProgressReading | undefined {
  if (Atomics.load(slot, STATE) !== BUSY) return undefined;
  return { index: Atomics.load(slot, INDEX), startedAt: Atomics.load(slot, STARTED), budgetMs: Atomics.load(slot, BUDGET) };
}

/** The task the worker is in (or last was in): a policy reading belongs to this task. */
export function currentTask(slot: ProgressSlot): number {
  return Atomics.load(slot, TASK);
}

/**
 * The pool side: this job waits in the worker's queue until the worker or the pool takes it.
 * Only the pool offers, so a field it finds free stays free until it writes it.
 */
export function offerWaiting(slot: ProgressSlot, task: number): void {
  for (let field = WAITING; field < SLOTS; field++) {
    if (Atomics.load(slot, field) === NONE) {
      Atomics.store(slot, field, task);
      return;
    }
  }
  throw new Error(`a policy worker holds ${MAX_OFFERS} waiting jobs already`);
}

/**
 * Takes the waiting job: the worker to start it, or the pool to run it elsewhere. Only one of
 * them gets true; the other finds the job gone.
 */
export function takeWaiting(slot: ProgressSlot, task: number): boolean {
  for (let field = WAITING; field < SLOTS; field++) {
    if (Atomics.compareExchange(slot, field, task, NONE) === task) return true;
  }
  return false;
}

/** The worker side: progress of each policy, and the tasks it starts. */
export interface WorkerProgress extends RunProgress {
  /** The worker starts this task: policy readings from now on belong to it. */
  task(id: number): void;
  /** Takes a waiting job; false when the pool took it back (it runs elsewhere). */
  claim(id: number): boolean;
}

export function progressWriter(buffer: SharedArrayBuffer, epoch: number, now: () => number = Date.now): WorkerProgress {
  const slot = progressSlot(buffer);
  return {
    started(index, budgetMs) {
      // Fields first, state last: a reader that sees BUSY sees this policy's fields.
      Atomics.store(slot, INDEX, index);
      Atomics.store(slot, STARTED, now() - epoch);
      Atomics.store(slot, BUDGET, Math.min(budgetMs, 0x7fffffff));
      Atomics.store(slot, STATE, BUSY);
    },
    ended() {
      Atomics.store(slot, STATE, IDLE);
    },
    task(id) {
      Atomics.store(slot, TASK, id);
    },
    claim(id) {
      return takeWaiting(slot, id);
    },
  };
}
