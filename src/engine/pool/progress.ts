/**
 * A worker's progress slot: four Int32s in a SharedArrayBuffer that the worker writes when it
 * starts and ends each policy (run or compile) and the pool's watchdog reads without a message
 * round trip — a worker stuck in a policy cannot answer messages, which is the point.
 */
import type { RunProgress } from '../run-job.js';

const STATE = 0;
const INDEX = 1;
const STARTED = 2;
const BUDGET = 3;
const IDLE = 0;
const BUSY = 1;

export function createProgressBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
}

/** What the slot says: the policy (index in the current task) running since when, on what budget. */
export interface ProgressReading {
  readonly index: number;
  /** ms since the slot's epoch. */
  readonly startedAt: number;
  readonly budgetMs: number;
}

export function readProgress(buffer: SharedArrayBuffer): ProgressReading | undefined {
  const slot = new Int32Array(buffer);
  if (Atomics.load(slot, STATE) !== BUSY) return undefined;
  return { index: Atomics.load(slot, INDEX), startedAt: Atomics.load(slot, STARTED), budgetMs: Atomics.load(slot, BUDGET) };
}

/** The worker side: a RunProgress writing the slot. */
export function progressWriter(buffer: SharedArrayBuffer, epoch: number, now: () => number = Date.now): RunProgress {
  const slot = new Int32Array(buffer);
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
  };
}
