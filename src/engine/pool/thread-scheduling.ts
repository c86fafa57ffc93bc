/**
 * Policy workers under Linux's SCHED_BATCH scheduling policy (`--worker-scheduling batch`).
 *
 * A worker that finished its jobs sleeps; the next job wakes it, most often on the core where the
 * main thread posted it, and a freshly woken thread preempts the one running there. Under load
 * that is the main thread, which every review passes through twice (TLS, HTTP, selection, the
 * answer), so it waits while the worker runs, often with the other core idle for a moment. A
 * SCHED_BATCH thread does not preempt on wake-up (the kernel leaves it to the next tick or an idle
 * core) and otherwise has the weight of nice 0: the workers keep their full share of the CPU,
 * the main thread keeps its core. Measured under the 10-policy closed loop: 5-10% more reviews
 * per second, half as many worker sleeps (docs/performance.md).
 *
 * Node has no binding for sched_setscheduler(2), so the pool runs util-linux's `chrt` on each
 * worker's kernel thread id, once per worker start. An unprivileged process may switch its own
 * threads to SCHED_BATCH (sched(7)); no capability is needed. Where `chrt` or /proc is missing
 * (another OS, an image without util-linux), the workers keep the normal policy: a performance
 * setting, never a reason to fail.
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';

export const WORKER_SCHEDULINGS = ['batch', 'normal'] as const;
export type WorkerScheduling = (typeof WORKER_SCHEDULINGS)[number];

/** The calling thread's kernel thread id (Linux /proc/thread-self), or undefined elsewhere. */
export function kernelThreadId(readlink: (path: string) => string = readlinkSync): number | undefined {
  try {
    const match = /(?:^|\/)task\/(\d+)$/.exec(readlink('/proc/thread-self'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command without a shell; resolves with its failure, if any. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<Error | undefined>;

const CHRT_TIMEOUT_MS = 5_000;

const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: CHRT_TIMEOUT_MS, windowsHide: true }, (error, _stdout, stderr) => {
      if (!error) return resolve(undefined);
      const said = String(stderr).trim().split('\n')[0];
      resolve(new Error(said ? `${error.message.split('\n')[0]}: ${said}` : error.message.split('\n')[0]));
    });
  });

/**
 * Puts one thread (a kernel thread id of this process) under SCHED_BATCH. Resolves with why it
 * could not, or undefined when it did.
 */
export async function scheduleAsBatch(threadId: number, run: CommandRunner = runCommand): Promise<string | undefined> {
  if (!Number.isSafeInteger(threadId) || threadId <= 0) return `not a thread id: ${threadId}`;
  // Without --all, chrt -p changes the one thread the id names, not the process.
  const failure = await run('chrt', ['--batch', '--pid', '0', String(threadId)]);
  return failure?.message;
}

export interface SchedulingLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/**
 * What the pool calls with each new worker's thread id. With `batch`, puts the thread under
 * SCHED_BATCH; the first failure is logged and ends the attempts (the next worker would fail the
 * same way). Resolves once the attempt is over.
 */
export function workerSchedulingApplier(
  scheduling: WorkerScheduling,
  logger: SchedulingLogger,
  schedule: (threadId: number) => Promise<string | undefined> = scheduleAsBatch,
): (threadId: number | undefined) => Promise<void> {
  let gaveUp = scheduling === 'normal';
  return async (threadId) => {
    if (gaveUp) return;
    const failure = threadId === undefined ? 'the OS does not tell the worker thread ids (/proc/thread-self)' : await schedule(threadId);
    if (failure === undefined) {
      logger.debug({ threadId }, 'policy worker scheduled as SCHED_BATCH');
      return;
    }
    if (gaveUp) return;
    gaveUp = true;
    logger.warn({ reason: failure }, 'policy workers keep the normal scheduling policy (--worker-scheduling batch could not be applied)');
  };
}
