/**
 * Policy workers under Linux's SCHED_BATCH scheduling policy (`--worker-scheduling batch`).
 *
 * A worker that finished its jobs sleeps; the next job wakes it, most often on the core where the
 * main thread posted it, and a freshly woken thread preempts the one running there. Under load
 * that is the main thread, which every review passes through twice (TLS, HTTP, selection, the
 * answer), so it waits while the worker runs, often with the other core idle for a moment. A
 * SCHED_BATCH thread does not preempt on wake-up (the kernel leaves it to the next tick or an idle
 * core) and otherwise has the weight of nice 0: the workers keep their full share of the CPU,
 * the main thread keeps its core. Measured under the 10-policy closed loop: about 12% more
 * reviews per second, and the workers sleep about half as often (docs/performance.md).
 *
 * Node has no binding for sched_setscheduler(2), so each worker, as it starts, runs util-linux's
 * `chrt` on its own kernel thread id: the spawn costs the starting worker, not the main thread
 * that answers every tenant (a policy that keeps ending its worker must not buy main-thread time
 * with it). An unprivileged process may switch its own threads to SCHED_BATCH (sched(7)); no
 * capability is needed. Where `chrt` or /proc is missing (another OS, an image without
 * util-linux), the workers keep the normal policy: a performance setting, never a reason to fail.
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

/**
 * Puts the calling thread under the given policy (run in a policy worker as it starts). Resolves
 * with why it could not, or undefined when it did or had nothing to do.
 */
export async function scheduleThisThread(
  scheduling: WorkerScheduling,
  threadId: () => number | undefined = kernelThreadId,
  schedule: (threadId: number) => Promise<string | undefined> = scheduleAsBatch,
): Promise<string | undefined> {
  if (scheduling === 'normal') return undefined;
  const id = threadId();
  return id === undefined ? 'the OS does not tell a thread its id (/proc/thread-self)' : schedule(id);
}

/**
 * The pool's side: which policy to ask new workers for. After the first failure it logs one
 * warning and asks for nothing more (the next worker would fail the same way).
 */
export class WorkerSchedulingPolicy {
  private current: WorkerScheduling;

  constructor(
    requested: WorkerScheduling,
    private readonly logger: { warn(obj: Record<string, unknown>, msg: string): void },
  ) {
    this.current = requested;
  }

  /** The policy a new worker is to put itself under. */
  get forNewWorker(): WorkerScheduling {
    return this.current;
  }

  /** What a worker reported when it started (its failure to apply the policy, if any). */
  started(failure: string | undefined): void {
    if (failure === undefined || this.current === 'normal') return;
    this.current = 'normal';
    this.logger.warn({ reason: failure }, 'policy workers keep the normal scheduling policy (--worker-scheduling batch could not be applied)');
  }
}
