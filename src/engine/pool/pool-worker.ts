/**
 * One worker thread as the pool sees it: its state, the generations it holds, request/reply over
 * its port, and why it exited. The progress slot outlives the thread, so after a worker dies the
 * pool can still read which policy it was in.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { createProgressBuffer, currentTask, offerWaiting, progressSlot, readProgress, takeWaiting, type ProgressReading } from './progress.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';
import { createLookupBridge, type LookupRequest } from './lookup-bridge.js';
import type { LookupAnswer } from '../lookups/lookups.js';
import type { WorkerScheduling } from './thread-scheduling.js';

export type WorkerState = 'starting' | 'idle' | 'busy' | 'dead';
export const WORKER_STATES: readonly WorkerState[] = ['starting', 'idle', 'busy', 'dead'];

/** Why a worker thread ended. */
export type ExitCause = 'deadline' | 'memory' | 'crash' | 'closing';

/** A worker ended with requests outstanding; `progress` is where it was. */
export class WorkerExit extends Error {
  constructor(
    readonly reason: ExitCause,
    readonly progress: ProgressReading | undefined,
  ) {
    super(`policy worker ended (${reason})`);
    this.name = 'WorkerExit';
  }
}

export type WorkerReply = Exclude<FromWorker, { type: 'ready' }>;
type Request = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export interface PoolWorkerOptions {
  readonly script: URL;
  readonly epoch: number;
  readonly compileBudgetMs: number;
  readonly compilerModule?: string;
  readonly resourceLimits: ResourceLimits;
  readonly onExit: (worker: PoolWorker, cause: ExitCause) => void;
  /** Answers the worker's lookups (main thread). */
  readonly onLookup: (request: LookupRequest) => Promise<LookupAnswer>;
  readonly scheduling: WorkerScheduling;
}

export class PoolWorker {
  readonly progress = createProgressBuffer();
  private readonly slot = progressSlot(this.progress);
  readonly generations = new Set<number>();
  state: WorkerState = 'starting';
  /** Set when the pool stops the worker itself, so the exit is attributed to that. */
  private stopCause: ExitCause | undefined;
  private readonly thread: Worker;
  private readonly replies = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: WorkerExit) => void }>();
  private nextId = 1;
  private exitCause: ExitCause | undefined;
  /** Resolves once the worker is up, with why it could not apply its scheduling policy, if it could not. */
  readonly ready: Promise<string | undefined>;
  /** Resolves when the thread has ended, for whatever reason. */
  readonly exited: Promise<void>;

  constructor(private readonly options: PoolWorkerOptions) {
    const lookups = createLookupBridge();
    const config: WorkerConfig = {
      lookups: lookups.worker,
      progress: this.progress,
      epoch: options.epoch,
      compileBudgetMs: options.compileBudgetMs,
      scheduling: options.scheduling,
      ...(options.compilerModule ? { compilerModule: options.compilerModule } : {}),
    };
    this.thread = new Worker(options.script, { workerData: config, transferList: lookups.transferList, resourceLimits: options.resourceLimits });
    lookups.serve(options.onLookup);
    this.exited = new Promise((resolve) => this.thread.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker): void => {
        if (message.type === 'ready') {
          this.thread.off('message', onMessage);
          resolve(message.schedulingFailure);
        }
      };
      this.thread.on('message', onMessage);
      this.thread.once('exit', () => reject(new WorkerExit(this.exitCause ?? 'crash', undefined)));
    });
    this.ready.catch(() => undefined);
    this.thread.on('message', (message: FromWorker) => {
      if (message.type === 'ready') return;
      const pending = this.replies.get(message.id);
      if (!pending) return;
      this.replies.delete(message.id);
      pending.resolve(message);
    });
    this.thread.on('error', (error: Error & { code?: string }) => {
      this.exitCause ??= error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash';
    });
    this.thread.once('exit', () => {
      const cause = this.stopCause ?? this.exitCause ?? 'crash';
      this.exitCause = cause;
      this.state = 'dead';
      const failure = new WorkerExit(cause, readProgress(this.slot));
      for (const pending of this.replies.values()) pending.reject(failure);
      this.replies.clear();
      options.onExit(this, cause);
    });
  }

  /** Sends a message and resolves with the worker's reply to it; rejects with WorkerExit. */
  request(message: Request): Promise<WorkerReply> {
    return this.post(message).reply;
  }

  /**
   * Sends a job to run after the worker's current one, unless it is taken back first (`revoke`):
   * its reply is then `revoked`. Returns the task id that `revoke` and `currentTask` speak of.
   */
  offer(message: Omit<Extract<Request, { type: 'run' }>, 'waiting'>): { id: number; reply: Promise<WorkerReply> } {
    return this.post({ waiting: true, ...message }, (id) => offerWaiting(this.slot, id));
  }

  /** Takes an offered job back; false when the worker has already started it. */
  revoke(id: number): boolean {
    return takeWaiting(this.slot, id);
  }

  /** The task the worker is in, or last was in (the id `post` gave it). */
  currentTask(): number {
    return currentTask(this.slot);
  }

  /** Sends a message under a fresh id; `beforeSend` sees the id first. */
  post(message: Request, beforeSend?: (id: number) => void): { id: number; reply: Promise<WorkerReply> } {
    if (this.state === 'dead') return { id: 0, reply: Promise.reject(new WorkerExit(this.exitCause ?? 'crash', undefined)) };
    const id = this.nextId++;
    const reply = new Promise<WorkerReply>((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      beforeSend?.(id);
      // The new key first: `{ ...message, id }` takes a slow path in V8 (docs/performance.md).
      this.thread.postMessage({ id, ...message } as ToWorker);
    });
    return { id, reply };
  }

  /** Fire and forget (release). */
  send(message: Extract<ToWorker, { type: 'release' }>): void {
    if (this.state !== 'dead') this.thread.postMessage(message);
  }

  /** Where the worker is now (which policy of its current task, since when). */
  reading(): ProgressReading | undefined {
    return readProgress(this.slot);
  }

  stop(cause: ExitCause): void {
    if (this.state === 'dead') return;
    this.stopCause ??= cause;
    void this.thread.terminate();
  }
}
