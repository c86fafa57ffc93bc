/**
 * The worker pool: a PolicyExecutor that compiles and runs policies in worker threads, so the
 * main thread keeps answering health checks, metrics, TLS handshakes and other reviews whatever a
 * policy does (DESIGN section 6; docs/operations.md, "Isolation").
 *
 * - Hard deadlines: each worker reports the policy it is in through a shared progress slot; a
 *   watchdog stops (terminates) a worker whose policy is still running at its budget plus
 *   KILL_MARGIN_MS, or whose job outlives the request deadline, and replaces it. The job then runs
 *   again on another worker with that policy failed (K9003), so the other policies of the
 *   request still count.
 * - Heap caps: each worker has a V8 heap limit; a policy that exceeds it ends its worker, and the
 *   job runs again with that policy failed (K9004). The process never runs out of memory.
 * - Atomic policy sets: a generation is compiled in every worker before any job names it; a job
 *   runs wholly on one worker and one generation. New sources are first compiled on one worker
 *   (the probe) under the same deadline and heap cap, so a source that stops its worker is marked
 *   invalid instead of being sent to every worker.
 * - Fairness: lanes.ts.
 */
import { availableParallelism } from 'node:os';
import { diagnostic, formatDiagnosticShort, type ErrorCode } from '../../kcl/index.js';
import type { CompileOutcome, ExecutablePolicy, KnownFailure, PolicyExecutor, RunJob, RunReport } from '../executor.js';
import { silentLogger, type EngineLogger } from '../logger.js';
import { RECOVERY_PROGRESS } from '../run-job.js';
import { plainFailure } from '../run-policy.js';
import { CostTracker, heavyLimits, type Lane } from './lanes.js';
import { PoolWorker, WorkerExit, WORKER_STATES, type ExitCause, type WorkerState } from './pool-worker.js';
import { encodeJob } from './protocol.js';
import type { LookupRequest } from './lookup-bridge.js';
import type { LookupAnswer, LookupResponder } from '../lookups/lookups.js';
import { workerScriptUrl } from './worker-script.js';

/** Past its budget, a policy gets this long to stop by itself before its worker is stopped. */
export const KILL_MARGIN_MS = 50;
/** How often the watchdog looks at busy workers and queued jobs while there are any. */
export const WATCHDOG_INTERVAL_MS = 10;
/** Compiling one policy source may take this long (a hostile source is stopped like a run). */
export const DEFAULT_COMPILE_BUDGET_MS = 10_000;
/** V8 old-generation heap per worker, MiB. */
export const DEFAULT_WORKER_HEAP_MB = 128;
/** Restarting a worker that keeps dying at start-up waits at most this long. */
const MAX_RESPAWN_DELAY_MS = 5_000;

export function defaultPoolSize(): number {
  return Math.min(8, Math.max(2, availableParallelism()));
}

/** Pool events, for metrics (src/observability). */
export interface PoolObserver {
  onWorkerStopped?(cause: Exclude<ExitCause, 'closing'>): void;
  onQueueWait?(lane: Lane, seconds: number): void;
  onWorkers?(counts: Readonly<Record<WorkerState, number>>): void;
}

export interface WorkerPoolOptions {
  readonly size?: number;
  readonly heapMb?: number;
  readonly compileBudgetMs?: number;
  /** A module exporting `compiler` to use instead of kclguard's interpreter (tests). */
  readonly compilerModule?: string;
  readonly observer?: PoolObserver;
  readonly logger?: EngineLogger;
  readonly now?: () => number;
}

type Task =
  | { readonly kind: 'run'; job: RunJob; readonly resolve: (report: RunReport) => void }
  | {
      readonly kind: 'compile';
      readonly policies: readonly ExecutablePolicy[];
      readonly known: Map<number, CompileOutcome>;
      readonly resolve: (outcomes: CompileOutcome[]) => void;
    };

interface Entry {
  readonly task: Task;
  /** The lane it ran in (set when it starts: costs are read when it is scheduled, not queued). */
  lane: Lane;
  /** The heavy policy a per-policy cap counts this job against, when it runs in the heavy lane. */
  heavyPolicy?: string;
  readonly deadline?: number;
  readonly enqueuedAt: number;
  readonly reject: (error: Error) => void;
}

/** How a job is scheduled, from what is known about its policies' costs right now. */
interface Placement {
  readonly lane: Lane;
  readonly heavyPolicy?: string;
  /** Its policies whose cost is not known yet. */
  readonly probation: readonly string[];
}

function sourceKey(policy: ExecutablePolicy): string {
  return `${policy.filename}\u0000${policy.definition.spec.source}`;
}

export class WorkerPool implements PolicyExecutor {
  readonly size: number;
  private readonly slots: (PoolWorker | undefined)[];
  private readonly running = new Map<PoolWorker, Entry>();
  /** Jobs and compiles waiting for a worker, oldest first. */
  private readonly queue: Entry[] = [];
  private readonly live = new Map<number, readonly ExecutablePolicy[]>();
  /** How each source compiled in the probe, by filename + source. */
  private readonly probed = new Map<string, CompileOutcome>();
  private readonly costs: CostTracker;
  private readonly limits: { readonly lane: number; readonly perPolicy: number };
  private readonly epoch: number;
  private readonly now: () => number;
  private readonly logger: EngineLogger;
  private readonly respawnDelays: number[];
  /**
   * Slots whose worker a heavy job's policy ended and that are still starting again: capacity the
   * heavy lane spent, so it counts against the heavy lane until the replacement is ready — else
   * a stream of policies that kill their workers would take every worker in turn.
   */
  private readonly heavyRestarts = new Set<number>();
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;
  private lookups: LookupResponder | undefined;

  constructor(private readonly options: WorkerPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? defaultPoolSize());
    this.now = options.now ?? Date.now;
    this.epoch = this.now();
    this.logger = options.logger ?? silentLogger;
    this.costs = new CostTracker(this.now);
    this.limits = heavyLimits(this.size);
    this.slots = new Array(this.size).fill(undefined);
    this.respawnDelays = new Array(this.size).fill(0);
    for (let i = 0; i < this.size; i++) this.spawn(i);
  }

  /** Resolves once every worker has started (for start-up readiness). */
  async started(): Promise<void> {
    await Promise.all(this.slots.map((worker) => worker?.ready.catch(() => undefined)));
  }

  /** Whether at least one worker can take a job. */
  healthy(): boolean {
    return this.slots.some((w) => w?.state === 'idle' || w?.state === 'busy');
  }

  workerCounts(): Record<WorkerState, number> {
    const counts = Object.fromEntries(WORKER_STATES.map((s) => [s, 0])) as Record<WorkerState, number>;
    for (const worker of this.slots) counts[worker?.state ?? 'dead'] += 1;
    return counts;
  }

  async prepare(generation: number, policies: readonly ExecutablePolicy[]): Promise<ReadonlyMap<string, CompileOutcome>> {
    const fresh = policies.filter((p) => !this.probed.has(sourceKey(p)));
    for (const policy of fresh) this.costs.forget(policy.definition.identity.key);
    if (fresh.length > 0) {
      const outcomes = await this.compileAll(fresh);
      fresh.forEach((policy, i) => this.probed.set(sourceKey(policy), outcomes[i]!));
    }
    // A source the probe stopped is loaded as invalid everywhere else, without compiling it again.
    const prepared = policies.map((policy) => {
      const outcome = this.probed.get(sourceKey(policy))!;
      return !outcome.ok && outcome.stopped ? { ...policy, knownOutcome: outcome } : policy;
    });
    this.live.set(generation, prepared);
    await Promise.all(this.slots.map((_, slot) => this.ensureGeneration(slot, generation)));
    return new Map(policies.map((policy) => [policy.definition.identity.key, this.probed.get(sourceKey(policy))!]));
  }

  async compile(policy: ExecutablePolicy, deadline?: number): Promise<CompileOutcome> {
    return (await this.compileAll([policy], deadline))[0]!;
  }

  run(job: RunJob): Promise<RunReport> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'run', job, resolve }, job.request.deadline, reject));
  }

  release(generation: number): void {
    if (!this.live.delete(generation)) return;
    for (const worker of this.slots) {
      if (worker?.generations.delete(generation)) worker.send({ type: 'release', generation });
    }
    const sources = new Set<string>();
    const keys = new Set<string>();
    for (const policies of this.live.values()) {
      for (const policy of policies) {
        sources.add(sourceKey(policy));
        keys.add(policy.definition.identity.key);
      }
    }
    for (const key of this.probed.keys()) if (!sources.has(key)) this.probed.delete(key);
    this.costs.retain(keys);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const entry of this.queue.splice(0)) entry.reject(new Error('the policy worker pool is closed'));
    for (const entry of this.running.values()) entry.reject(new Error('the policy worker pool is closed'));
    await Promise.all(
      this.slots.map(async (worker) => {
        worker?.stop('closing');
        await worker?.exited;
      }),
    );
  }

  /** Workers' lookups are answered on this thread by `responder` (see lookup-bridge.ts). */
  serveLookups(responder: LookupResponder): void {
    this.lookups = responder;
  }

  /** The policy is found in the generation the job runs on: the worker's word is only a key. */
  private answerLookup(request: LookupRequest): Promise<LookupAnswer> {
    const definition = this.live.get(request.generation)?.find((p) => p.definition.identity.key === request.policy)?.definition;
    const what = `kube.${request.call.function}()`;
    if (!definition) return Promise.resolve({ ok: false, code: 'K9009', message: `${what}: policy ${request.policy} is not loaded` });
    if (!this.lookups) return Promise.resolve({ ok: false, code: 'K9009', message: `${what}: lookups are not available here (kclguard serves no cluster)` });
    return this.lookups.answer(definition, request.call, request.remainingMs);
  }

  // ------------------------------------------------------------------ compiling

  private compileAll(policies: readonly ExecutablePolicy[], deadline?: number): Promise<CompileOutcome[]> {
    return new Promise((resolve, reject) =>
      this.enqueue({ kind: 'compile', policies, known: new Map(), resolve }, deadline, reject),
    );
  }

  /**
   * Makes the slot's worker hold the generation. A worker that is gone (or goes) is not waited
   * for: its replacement loads every live generation before it takes a job.
   */
  private async ensureGeneration(slot: number, generation: number): Promise<void> {
    const worker = this.slots[slot];
    if (!worker || worker.state === 'dead' || worker.generations.has(generation)) return;
    try {
      await worker.ready;
      if (!this.live.has(generation) || worker.generations.has(generation)) return;
      await worker.request({ type: 'prepare', generation, policies: this.live.get(generation)! });
      worker.generations.add(generation);
    } catch (error) {
      if (!(error instanceof WorkerExit)) throw error;
    }
  }

  // ------------------------------------------------------------------ workers

  private spawn(slot: number): void {
    if (this.closed) return;
    const heapMb = this.options.heapMb ?? DEFAULT_WORKER_HEAP_MB;
    const worker = new PoolWorker({
      script: workerScriptUrl(),
      epoch: this.epoch,
      compileBudgetMs: this.options.compileBudgetMs ?? DEFAULT_COMPILE_BUDGET_MS,
      ...(this.options.compilerModule ? { compilerModule: this.options.compilerModule } : {}),
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.max(4, Math.min(32, Math.floor(heapMb / 4))) },
      onExit: (exited, cause) => this.onExit(slot, exited, cause),
      onLookup: (request) => this.answerLookup(request),
    });
    this.slots[slot] = worker;
    this.reportWorkers();
    void this.initialize(slot, worker);
  }

  /** A new worker loads every live generation before it takes jobs. */
  private async initialize(slot: number, worker: PoolWorker): Promise<void> {
    try {
      await worker.ready;
      for (;;) {
        const missing = [...this.live.keys()].filter((g) => !worker.generations.has(g));
        if (missing.length === 0) break;
        for (const generation of missing) {
          await worker.request({ type: 'prepare', generation, policies: this.live.get(generation)! });
          worker.generations.add(generation);
        }
      }
    } catch {
      return; // it died; onExit restarts the slot
    }
    this.respawnDelays[slot] = 0;
    this.heavyRestarts.delete(slot);
    worker.state = 'idle';
    this.reportWorkers();
    this.pump();
  }

  private onExit(slot: number, worker: PoolWorker, cause: ExitCause): void {
    const entry = this.running.get(worker);
    this.running.delete(worker);
    if (this.slots[slot] === worker) this.slots[slot] = undefined;
    this.reportWorkers();
    if (cause !== 'closing') this.options.observer?.onWorkerStopped?.(cause);
    if (entry?.lane === 'heavy') this.heavyRestarts.add(slot);
    if (entry) this.retryAfterExit(entry, new WorkerExit(cause, worker.reading()));
    if (this.closed) return;
    // A worker that never got to take a job (it died starting) is restarted with a backoff.
    const delay = worker.generations.size === 0 && !entry ? Math.min(MAX_RESPAWN_DELAY_MS, (this.respawnDelays[slot] || 50) * 2) : 0;
    this.respawnDelays[slot] = delay;
    if (delay > 0) this.logger.error({ slot, cause, retryInMs: delay }, 'policy worker died while starting; restarting it');
    const timer = setTimeout(() => this.spawn(slot), delay);
    timer.unref();
  }

  private reportWorkers(): void {
    this.options.observer?.onWorkers?.(this.workerCounts());
  }

  // ------------------------------------------------------------------ scheduling

  private enqueue(task: Task, deadline: number | undefined, reject: (error: Error) => void, front = false): void {
    if (this.closed) {
      reject(new Error('the policy worker pool is closed'));
      return;
    }
    const entry: Entry = { task, lane: 'light', enqueuedAt: this.now(), reject, ...(deadline !== undefined ? { deadline } : {}) };
    if (front) this.queue.unshift(entry);
    else this.queue.push(entry);
    this.pump();
  }

  /** Compiles and jobs with a heavy policy go to the heavy lane (lanes.ts). */
  private placement(entry: Entry): Placement {
    if (entry.task.kind === 'compile') return { lane: 'heavy', probation: [] };
    if (entry.task.job.request.background) return { lane: 'background', probation: [] };
    // Policies already known to have failed will not run again: they do not make a job heavy.
    const known = entry.task.job.knownFailures ?? {};
    const keys = entry.task.job.policies.map((p) => p.key).filter((key) => !(key in known));
    const heavy = this.costs.heavyAmong(keys);
    const probation = keys.filter((key) => !this.costs.isKnown(key));
    return heavy[0] !== undefined ? { lane: 'heavy', heavyPolicy: heavy[0], probation } : { lane: 'light', probation };
  }

  private pump(): void {
    for (;;) {
      const worker = this.slots.find((w) => w?.state === 'idle');
      if (!worker) break;
      const entry = this.next(worker);
      if (!entry) break;
      this.start(worker, entry);
    }
    this.armWatchdog();
  }

  /**
   * The next entry this worker may take, oldest first: a light job, or else a heavy job or compile
   * within the heavy lane's limits; a job with a policy on probation only while that policy has
   * fewer jobs running than one heavy policy may have. Background jobs (audit) only when nothing
   * else may start, and on at most as many workers as the heavy lane, so admission always finds
   * workers of its own.
   */
  private next(worker: PoolWorker): Entry | undefined {
    return this.nextForAdmission(worker) ?? this.nextInBackground(worker);
  }

  private nextInBackground(worker: PoolWorker): Entry | undefined {
    const running = [...this.running.values()].filter((e) => e.lane === 'background').length;
    if (running >= this.limits.lane) return undefined;
    const index = this.queue.findIndex((e) => e.task.kind === 'run' && e.task.job.request.background && worker.generations.has(e.task.job.generation));
    return index < 0 ? undefined : this.take(index, { lane: 'background', probation: [] });
  }

  private nextForAdmission(worker: PoolWorker): Entry | undefined {
    const running = [...this.running.values()];
    const runningWith = (key: string): number => running.filter((e) => e.task.kind === 'run' && e.task.job.policies.some((p) => p.key === key)).length;
    const heavyRunning = running.filter((e) => e.lane === 'heavy');
    const heavyFull = heavyRunning.length + this.heavyRestarts.size >= this.limits.lane;
    let heavyCandidate: { index: number; placement: Placement } | undefined;
    for (let index = 0; index < this.queue.length; index++) {
      const entry = this.queue[index]!;
      if (entry.task.kind === 'run' && !worker.generations.has(entry.task.job.generation)) continue;
      const placement = this.placement(entry);
      if (placement.lane === 'background') continue;
      if (placement.probation.some((key) => runningWith(key) >= this.limits.perPolicy)) continue;
      if (placement.lane === 'light') return this.take(index, placement);
      if (heavyCandidate || heavyFull) continue;
      if (placement.heavyPolicy && heavyRunning.filter((e) => e.heavyPolicy === placement.heavyPolicy).length >= this.limits.perPolicy) continue;
      heavyCandidate = { index, placement };
    }
    return heavyCandidate ? this.take(heavyCandidate.index, heavyCandidate.placement) : undefined;
  }

  private take(index: number, placement: Placement): Entry {
    const entry = this.queue.splice(index, 1)[0]!;
    entry.lane = placement.lane;
    if (placement.heavyPolicy !== undefined) entry.heavyPolicy = placement.heavyPolicy;
    else delete entry.heavyPolicy;
    return entry;
  }

  private start(worker: PoolWorker, entry: Entry): void {
    worker.state = 'busy';
    this.running.set(worker, entry);
    this.reportWorkers();
    this.options.observer?.onQueueWait?.(entry.lane, (this.now() - entry.enqueuedAt) / 1000);
    const { task } = entry;
    const reply =
      task.kind === 'run'
        ? worker.request({ type: 'run', ...encodeJob(task.job) })
        : worker.request({ type: 'compile', policies: task.policies.filter((_, i) => !task.known.has(i)) });
    reply.then(
      (message) => {
        if (this.running.get(worker) !== entry) return;
        this.running.delete(worker);
        worker.state = 'idle';
        this.reportWorkers();
        if (message.type === 'ran' && task.kind === 'run') {
          const report = JSON.parse(message.report) as RunReport;
          for (const run of report.runs) this.costs.observe(run.key, run.durationSeconds * 1000);
          task.resolve(report);
        } else if (message.type === 'compiled' && task.kind === 'compile') {
          task.resolve(mergeOutcomes(task, message.outcomes));
        } else {
          entry.reject(new Error(message.type === 'failed' ? `policy worker error: ${message.message}` : `unexpected worker reply ${message.type}`));
        }
        this.pump();
      },
      () => undefined, // the exit is handled in onExit
    );
  }

  /** The worker ended under this entry: blame the policy it was in, and run the rest again. */
  private retryAfterExit(entry: Entry, exit: WorkerExit): void {
    if (this.closed) {
      entry.reject(new Error('the policy worker pool is closed'));
      return;
    }
    const { task } = entry;
    const index = exit.progress?.index;
    const elapsedMs = exit.progress ? this.now() - this.epoch - exit.progress.startedAt : 0;
    const failure = stopFailure(exit.reason, exit.progress?.budgetMs ?? 0, elapsedMs, this.options.heapMb ?? DEFAULT_WORKER_HEAP_MB);
    if (task.kind === 'compile') {
      const pendingIndexes = task.policies.map((_, i) => i).filter((i) => !task.known.has(i));
      const culprit = index !== undefined ? pendingIndexes[index] : undefined;
      const blamed = culprit === undefined ? pendingIndexes : [culprit];
      for (const i of blamed) {
        const policy = task.policies[i]!;
        task.known.set(i, stoppedCompile(policy, failure, 'while compiling'));
        this.logger.warn({ policy: policy.definition.identity.key, cause: exit.reason }, 'policy worker stopped while compiling a policy');
      }
      if (task.known.size === task.policies.length) task.resolve(mergeOutcomes(task, []));
      else this.requeue(entry);
      return;
    }
    const job = task.job;
    const known: Record<string, KnownFailure> = { ...job.knownFailures };
    if (index !== undefined && index >= RECOVERY_PROGRESS) {
      // The policy's recovery program overran: the policy fails again and its failureAction applies.
      const owner = job.policies[index - RECOVERY_PROGRESS]?.key;
      if (owner !== undefined) {
        this.costs.stopped(owner);
        this.logger.warn({ policy: owner, cause: exit.reason, uid: job.request.uid }, 'recovery program stopped: its worker was ended and replaced');
        task.job = { ...job, recoveryStopped: [...(job.recoveryStopped ?? []), owner] };
        this.requeue(entry);
        return;
      }
    }
    const culprit = index !== undefined ? job.policies[index]?.key : undefined;
    if (culprit !== undefined) {
      known[culprit] = { ...failure, durationSeconds: elapsedMs / 1000 };
      this.costs.stopped(culprit);
      this.logger.warn({ policy: culprit, cause: exit.reason, uid: job.request.uid }, 'policy stopped: its worker was ended and replaced');
    } else {
      // Not inside any policy (conversions, the patch): every policy not yet known failed.
      for (const { key } of job.policies) known[key] ??= { ...failure, durationSeconds: 0 };
    }
    task.job = { ...job, knownFailures: known };
    this.requeue(entry);
  }

  private requeue(entry: Entry): void {
    this.queue.unshift(entry);
    this.pump();
  }

  // ------------------------------------------------------------------ watchdog

  private armWatchdog(): void {
    const active = this.running.size > 0 || this.queue.length > 0;
    if (active && !this.watchdog) {
      this.watchdog = setInterval(() => this.watch(), WATCHDOG_INTERVAL_MS);
      this.watchdog.unref();
    } else if (!active && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
  }

  private watch(): void {
    const now = this.now();
    for (const [worker, entry] of this.running) {
      const reading = worker.reading();
      const overBudget = reading !== undefined && now - this.epoch - reading.startedAt > reading.budgetMs + KILL_MARGIN_MS;
      const overDeadline = entry.deadline !== undefined && now > entry.deadline + KILL_MARGIN_MS;
      if (overBudget || overDeadline) worker.stop('deadline');
    }
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const entry = this.queue[i]!;
      if (entry.deadline !== undefined && now > entry.deadline) {
        this.queue.splice(i, 1);
        this.expire(entry);
      }
    }
    this.armWatchdog();
  }

  /** The request's deadline passed while it waited for a worker. */
  private expire(entry: Entry): void {
    const failure = { ...plainFailure('no policy worker was free before the request deadline (the pool is busy with slow policies)', 'K9003'), code: 'K9003' as ErrorCode };
    this.options.observer?.onQueueWait?.(this.placement(entry).lane, (this.now() - entry.enqueuedAt) / 1000);
    const { task } = entry;
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
}

/** Why the pool stopped a policy, as the failure its failureAction handles. */
function stopFailure(cause: ExitCause, budgetMs: number, elapsedMs: number, heapMb: number): KnownFailure & { code: ErrorCode } {
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
function stoppedCompile(policy: ExecutablePolicy, failure: { error: string; code: ErrorCode }, when: string, stopped = true): CompileOutcome {
  const found = diagnostic(failure.code, `${failure.error.replace(/^\w+ \w+: /, '')} (${when})`, { file: policy.filename, line: 1, col: 1, endLine: 1, endCol: 1 });
  return { ok: false, diagnostics: [found], errors: [formatDiagnosticShort(found)], stopped };
}

function mergeOutcomes(task: Extract<Task, { kind: 'compile' }>, fresh: readonly CompileOutcome[]): CompileOutcome[] {
  let next = 0;
  return task.policies.map((_, i) => task.known.get(i) ?? fresh[next++] ?? { ok: false, diagnostics: [], errors: ['not compiled'] });
}
