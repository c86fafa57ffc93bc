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
 * - No idle gap under load: a busy worker running a light job may hold more light jobs, sent ahead
 *   so that each starts as soon as the one before ends — without a round trip through this thread
 *   and without the worker going to sleep in between (a thread that sleeps and is woken costs tens
 *   of µs of CPU on a virtual machine: docs/performance.md). It holds one, or more while what it
 *   holds is expected to take less than PIPELINE_BUDGET_MS, at most PIPELINE_DEPTH: a job waits
 *   there about as long as it would in this thread's queue. The jobs wait there only while the job
 *   the worker runs is young: past PIPELINE_PATIENCE_MS the watchdog takes them back (progress.ts)
 *   and they run on the next free worker, so a light policy that turns slow delays no one but
 *   itself.
 */
import type { CompileOutcome, ExecutablePolicy, KnownFailure, PolicyExecutor, RunJob, RunReport } from '../executor.js';
import { programKey } from '../compiled-policy.js';
import { silentLogger, type EngineLogger } from '../logger.js';
import { RECOVERY_PROGRESS } from '../run-job.js';
import { costScope, CostTracker, HEAVY_POLICY_MS, heavyLimits, HeavyTurns, type Lane } from './lanes.js';
import { MAX_OFFERS } from './progress.js';
import { PoolWorker, WorkerExit, WORKER_STATES, type ExitCause, type WorkerReply, type WorkerState } from './pool-worker.js';
import { encodeJob } from './protocol.js';
import { expireTask, mergeOutcomes, stopFailure, stoppedCompile, type Entry, type Placement, type Task } from './pool-tasks.js';
import type { LookupRequest } from './lookup-bridge.js';
import type { LookupAnswer, LookupResponder } from '../lookups/lookups.js';
import { workerScriptUrl } from './worker-script.js';
import { defaultPoolSize, youngGenerationMb } from './pool-size.js';
import { WorkerSchedulingPolicy, type WorkerScheduling } from './thread-scheduling.js';

/** Past its budget, a policy gets this long to stop by itself before its worker is stopped. */
export const KILL_MARGIN_MS = 50;
/**
 * How often, at most, the watchdog looks at busy workers and queued jobs; it looks only once one
 * could be due (see nextWatchAt), so a job that ends in time never wakes this thread for it.
 */
export const WATCHDOG_INTERVAL_MS = 10;
/** Compiling one policy source may take this long (a hostile source is stopped like a run). */
export const DEFAULT_COMPILE_BUDGET_MS = 10_000;
/** V8 old-generation heap per worker, MiB. */
export const DEFAULT_WORKER_HEAP_MB = 128;
/**
 * A job sent ahead to a busy worker waits behind the job there at most this long after that job
 * started; then it is taken back. A light job's policies average less than this (lanes.ts).
 */
export const PIPELINE_PATIENCE_MS = HEAVY_POLICY_MS;
/**
 * Jobs a busy worker may hold, sent ahead, besides the one it runs. Each offer needs a field of
 * the progress slot until the worker claims it, and the job that became the worker's next one may
 * not be claimed yet: one field more than this.
 */
export const PIPELINE_DEPTH = MAX_OFFERS - 1;
/** A busy worker takes a second job ahead, and more, only while those it holds are expected to take less. */
export const PIPELINE_BUDGET_MS = 2;
/** Restarting a worker that keeps dying at start-up waits at most this long. */
const MAX_RESPAWN_DELAY_MS = 5_000;

/** Pool events, for metrics (src/observability). */
export interface PoolObserver {
  onWorkerStopped?(cause: Exclude<ExitCause, 'closing'>): void;
  onQueueWait?(lane: Lane, seconds: number): void;
  onWorkers?(counts: Readonly<Record<WorkerState, number>>): void;
  /** A job was sent ahead to a busy worker (`queued`), or taken back from one (`taken_back`). */
  onQueuedOnWorker?(outcome: 'queued' | 'taken_back'): void;
}

export interface WorkerPoolOptions {
  /** Worker threads; default one per CPU, 2 to 8 (the server passes one sized to its container: pool-size.ts). */
  readonly size?: number;
  readonly heapMb?: number;
  readonly compileBudgetMs?: number;
  /** A module exporting `compiler` to use instead of kclguard's interpreter (tests). */
  readonly compilerModule?: string;
  readonly observer?: PoolObserver;
  readonly logger?: EngineLogger;
  readonly now?: () => number;
  /** `batch`: the workers run under SCHED_BATCH where the OS allows (thread-scheduling.ts). Default normal. */
  readonly scheduling?: WorkerScheduling;
}

/**
 * What a probe compile's outcome holds for: the same key as the compile cache's (the program and
 * the recovery source, or the resolved package's digest). A changed recovery program, or an
 * oci:// tag that now names other content, is new code and is probed again.
 */
function sourceKey(policy: ExecutablePolicy): string {
  return programKey(policy.definition);
}

/**
 * The job a worker is in: the one it runs as far as this thread knows, or one sent ahead that it
 * has started since (its report on the one before may not have been read yet).
 */
function inProgress(worker: PoolWorker, head: Entry, ahead: readonly Entry[]): Entry {
  const task = worker.currentTask();
  return ahead.find((entry) => entry.taskId === task) ?? head;
}

export class WorkerPool implements PolicyExecutor {
  readonly size: number;
  private readonly slots: (PoolWorker | undefined)[];
  /** The job each busy worker runs now (or last was sent), and the ones sent ahead, in order. */
  private readonly running = new Map<PoolWorker, Entry>();
  private readonly waiting = new Map<PoolWorker, Entry[]>();
  /** Jobs and compiles waiting for a worker, oldest first. */
  private readonly queue: Entry[] = [];
  private readonly live = new Map<number, readonly ExecutablePolicy[]>();
  /** How each program compiled in the probe, by programKey. */
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
  private readonly heavyTurns = new HeavyTurns();
  private watchdog: NodeJS.Timeout | undefined;
  /** When the armed watchdog fires (this.now() time). */
  private watchdogAt = Infinity;
  /** Set while several entries are requeued at once (requeueAll): the pump runs once they all are. */
  private pumpHeld = false;
  private arrivals = 0;
  private closed = false;
  private lookups: LookupResponder | undefined;
  private readonly scheduling: WorkerSchedulingPolicy;

  constructor(private readonly options: WorkerPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? defaultPoolSize(options.heapMb ?? DEFAULT_WORKER_HEAP_MB).workers);
    this.now = options.now ?? Date.now;
    this.epoch = this.now();
    this.logger = options.logger ?? silentLogger;
    this.scheduling = new WorkerSchedulingPolicy(options.scheduling ?? 'normal', this.logger);
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
    clearTimeout(this.watchdog);
    for (const entry of this.queue.splice(0)) entry.reject(new Error('the policy worker pool is closed'));
    for (const entry of [...this.running.values(), ...[...this.waiting.values()].flat()]) entry.reject(new Error('the policy worker pool is closed'));
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
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: youngGenerationMb(heapMb) },
      onExit: (exited, cause) => this.onExit(slot, exited, cause),
      onLookup: (request) => this.answerLookup(request),
      scheduling: this.scheduling.forNewWorker,
    });
    this.slots[slot] = worker;
    this.reportWorkers();
    void worker.ready.then((failure) => this.scheduling.started(failure), () => undefined);
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
    const head = this.running.get(worker);
    const ahead = this.waiting.get(worker) ?? [];
    this.running.delete(worker);
    this.waiting.delete(worker);
    if (this.slots[slot] === worker) this.slots[slot] = undefined;
    this.reportWorkers();
    if (cause !== 'closing') this.options.observer?.onWorkerStopped?.(cause);
    // The worker was in the job it last started: that one is blamed. The others run again as they
    // were (a job sent ahead never started, or one before it ended but its report was lost).
    const entry = head && inProgress(worker, head, ahead);
    if (entry?.lane === 'heavy') this.heavyRestarts.add(slot);
    this.requeueAll(head ? [head, ...ahead] : ahead, (job) => {
      if (job === entry) this.retryAfterExit(job, new WorkerExit(cause, worker.reading()));
      else this.requeue(job);
    });
    if (this.closed) return;
    this.pump();
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
    const entry: Entry = { task, lane: 'light', enqueuedAt: this.now(), arrival: this.arrivals++, reject, ...(deadline !== undefined ? { deadline } : {}) };
    if (front) this.queue.unshift(entry);
    else this.queue.push(entry);
    this.pump();
  }

  /** Compiles and jobs with a heavy policy go to the heavy lane (lanes.ts). */
  private placement(entry: Entry): Placement {
    // Compiles take turns by the namespace of what they compile, under the same cap as a heavy
    // policy: a tenant who writes many slow-to-compile KCLRuns (dry runs cost it nothing) holds
    // one slot of the lane, not all of them.
    if (entry.task.kind === 'compile') return { lane: 'heavy', heavyKey: `compile ${compileScope(entry.task.policies)}`, probation: [] };
    if (entry.task.job.request.background) return { lane: 'background', probation: [] };
    // Policies already known to have failed will not run again: they do not make a job heavy.
    const known = entry.task.job.knownFailures ?? {};
    const keys = entry.task.job.policies.map((p) => p.key).filter((key) => !(key in known));
    const scope = costScope(entry.task.job.request);
    const heavy = this.costs.heavyAmong(keys, scope);
    const probation = keys.filter((key) => !this.costs.isKnown(key));
    return heavy[0] !== undefined ? { lane: 'heavy', heavyKey: `${heavy[0]} ${scope}`, probation } : { lane: 'light', probation };
  }

  private pump(): void {
    if (this.pumpHeld) return;
    for (;;) {
      const worker = this.slots.find((w) => w?.state === 'idle');
      if (!worker) break;
      const entry = this.next(worker);
      if (!entry) break;
      this.start(worker, entry);
    }
    this.fillPipelines();
    this.armWatchdog();
  }

  /**
   * Sends jobs ahead to busy workers, in rounds (one more per worker each round), so that a burst
   * spreads over the workers instead of filling the first one's pipeline.
   */
  private fillPipelines(): void {
    for (let depth = 1; depth <= PIPELINE_DEPTH; depth++) {
      for (const worker of this.slots) {
        if (!worker || (this.waiting.get(worker)?.length ?? 0) >= depth || !this.maySendAhead(worker)) continue;
        const entry = this.nextAhead(worker);
        if (!entry) return;
        this.sendAhead(worker, entry);
      }
    }
  }

  /**
   * Whether a busy worker may take a job to run next: it runs one young light job, and holds no
   * job yet, or fewer than PIPELINE_DEPTH expected to take less than PIPELINE_BUDGET_MS in all.
   */
  private maySendAhead(worker: PoolWorker): boolean {
    if (worker.state !== 'busy') return false;
    const ahead = this.waiting.get(worker) ?? [];
    if (ahead.length >= PIPELINE_DEPTH || ahead.reduce((sum, entry) => sum + (entry.expectedMs ?? 0), 0) >= PIPELINE_BUDGET_MS) return false;
    const head = this.running.get(worker);
    return (
      head !== undefined &&
      head.task.kind === 'run' &&
      head.lane === 'light' &&
      !head.onProbation &&
      head.headSince !== undefined &&
      this.now() - head.headSince < PIPELINE_PATIENCE_MS
    );
  }

  /** The oldest light job whose policies' costs are all known: nothing unknown waits in a worker. */
  private nextAhead(worker: PoolWorker): Entry | undefined {
    for (let index = 0; index < this.queue.length; index++) {
      const entry = this.queue[index]!;
      if (entry.task.kind !== 'run' || !worker.generations.has(entry.task.job.generation)) continue;
      const placement = this.placement(entry);
      if (placement.lane === 'light' && placement.probation.length === 0) return this.take(index, placement);
    }
    return undefined;
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
    // The heavy lane takes turns: of the jobs it may start, the one whose heavy policy and
    // namespace started a job least recently, so that a flood from one namespace does not queue
    // in front of another's first job.
    let heavyCandidate: { index: number; placement: Placement; turn: number } | undefined;
    for (let index = 0; index < this.queue.length; index++) {
      const entry = this.queue[index]!;
      if (entry.task.kind === 'run' && !worker.generations.has(entry.task.job.generation)) continue;
      const placement = this.placement(entry);
      if (placement.lane === 'background') continue;
      if (placement.probation.some((key) => runningWith(key) >= this.limits.perPolicy)) continue;
      if (placement.lane === 'light') return this.take(index, placement);
      if (heavyFull) continue;
      const heavyKey = placement.heavyKey ?? '';
      if (placement.heavyKey && heavyRunning.filter((e) => e.heavyKey === heavyKey).length >= this.limits.perPolicy) continue;
      const turn = this.heavyTurns.lastOf(heavyKey);
      if (!heavyCandidate || turn < heavyCandidate.turn) heavyCandidate = { index, placement, turn };
    }
    return heavyCandidate ? this.take(heavyCandidate.index, heavyCandidate.placement) : undefined;
  }

  private take(index: number, placement: Placement): Entry {
    const entry = this.queue.splice(index, 1)[0]!;
    entry.lane = placement.lane;
    entry.onProbation = placement.probation.length > 0;
    if (placement.heavyKey !== undefined) entry.heavyKey = placement.heavyKey;
    else delete entry.heavyKey;
    if (placement.lane === 'heavy') this.heavyTurns.took(placement.heavyKey ?? '');
    return entry;
  }

  private start(worker: PoolWorker, entry: Entry): void {
    worker.state = 'busy';
    entry.headSince = this.now();
    this.running.set(worker, entry);
    this.reportWorkers();
    this.options.observer?.onQueueWait?.(entry.lane, (this.now() - entry.enqueuedAt) / 1000);
    const { task } = entry;
    const sent =
      task.kind === 'run'
        ? worker.post({ type: 'run', ...encodeJob(task.job) })
        : worker.post({ type: 'compile', policies: task.policies.filter((_, i) => !task.known.has(i)) });
    entry.taskId = sent.id;
    sent.reply.then(
      (message) => this.onReply(worker, entry, message),
      () => undefined, // the exit is handled in onExit
    );
  }

  private sendAhead(worker: PoolWorker, entry: Entry): void {
    const { task } = entry;
    if (task.kind !== 'run') throw new Error('only jobs are sent ahead');
    const ahead = this.waiting.get(worker);
    if (ahead) ahead.push(entry);
    else this.waiting.set(worker, [entry]);
    entry.expectedMs = this.costs.expectedMs(task.job.policies.map((p) => p.key), costScope(task.job.request));
    this.options.observer?.onQueueWait?.(entry.lane, (this.now() - entry.enqueuedAt) / 1000);
    this.options.observer?.onQueuedOnWorker?.('queued');
    const sent = worker.offer({ type: 'run', ...encodeJob(task.job) });
    entry.taskId = sent.id;
    sent.reply.then(
      (message) => this.onReply(worker, entry, message),
      () => undefined,
    );
  }

  /** A worker's reply: its job is done, and the first job sent ahead to it (if any) runs now. */
  private onReply(worker: PoolWorker, entry: Entry, message: WorkerReply): void {
    // Taken back (it runs elsewhere), or the worker ended and onExit has dealt with the entry.
    if (message.type === 'revoked' || this.running.get(worker) !== entry) return;
    this.running.delete(worker);
    const ahead = this.waiting.get(worker);
    const next = ahead?.shift();
    if (ahead?.length === 0) this.waiting.delete(worker);
    if (next) {
      next.headSince = this.now();
      this.running.set(worker, next);
    } else {
      worker.state = 'idle';
      this.reportWorkers();
    }
    const { task } = entry;
    if (message.type === 'ran' && task.kind === 'run') {
      const report = JSON.parse(message.report) as RunReport;
      const scope = costScope(task.job.request);
      for (const run of report.runs) this.costs.observe(run.key, scope, run.durationSeconds * 1000);
      task.resolve(report);
    } else if (message.type === 'compiled' && task.kind === 'compile') {
      task.resolve(mergeOutcomes(task, message.outcomes));
    } else {
      entry.reject(new Error(message.type === 'failed' ? `policy worker error: ${message.message}` : `unexpected worker reply ${message.type}`));
    }
    this.pump();
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
        this.costs.stopped(owner, costScope(job.request));
        this.logger.warn({ policy: owner, cause: exit.reason, uid: job.request.uid }, 'recovery program stopped: its worker was ended and replaced');
        task.job = { ...job, recoveryStopped: [...(job.recoveryStopped ?? []), owner] };
        this.requeue(entry);
        return;
      }
    }
    const culprit = index !== undefined ? job.policies[index]?.key : undefined;
    if (culprit !== undefined) {
      known[culprit] = { ...failure, durationSeconds: elapsedMs / 1000 };
      this.costs.stopped(culprit, costScope(job.request));
      this.logger.warn({ policy: culprit, cause: exit.reason, uid: job.request.uid }, 'policy stopped: its worker was ended and replaced');
    } else {
      // Not inside any policy (conversions, the patch): every policy not yet known failed.
      for (const { key } of job.policies) known[key] ??= { ...failure, durationSeconds: 0 };
    }
    task.job = { ...job, knownFailures: known };
    this.requeue(entry);
  }

  /**
   * Puts entries back at the front of the queue so that they run in the order given: the youngest
   * first, each with `putBack`. The pump waits until all are back; the caller pumps.
   */
  private requeueAll(entries: readonly Entry[], putBack: (entry: Entry) => void = (entry) => this.requeue(entry)): void {
    this.pumpHeld = true;
    try {
      for (let i = entries.length - 1; i >= 0; i--) putBack(entries[i]!);
    } finally {
      this.pumpHeld = false;
    }
  }

  private requeue(entry: Entry): void {
    if (this.closed) {
      entry.reject(new Error('the policy worker pool is closed'));
      return;
    }
    this.queue.unshift(entry);
    this.pump();
  }

  // ------------------------------------------------------------------ watchdog

  /**
   * Arms the watchdog for the first moment one of its checks could find something, no sooner
   * than WATCHDOG_INTERVAL_MS from now. A timer per job, cleared when the job ends, would still
   * wake this thread at the time it was set for (Node keeps its one libuv timer at the earliest
   * time ever asked); looking every 10 ms did so about every other review below saturation.
   */
  private armWatchdog(): void {
    // Nothing comes due sooner than WATCHDOG_INTERVAL_MS from now, and a running job keeps the
    // watchdog needed: one already armed by then stays, without a scan of the queue per pump.
    if (this.running.size > 0 && this.watchdog && this.watchdogAt <= this.now() + WATCHDOG_INTERVAL_MS) return;
    const due = this.nextWatchAt();
    if (due === Infinity) {
      clearTimeout(this.watchdog);
      this.watchdog = undefined;
      this.watchdogAt = Infinity;
      return;
    }
    const at = Math.max(due, this.now() + WATCHDOG_INTERVAL_MS);
    if (this.watchdog && this.watchdogAt <= at) return;
    clearTimeout(this.watchdog);
    this.watchdogAt = at;
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      this.watchdogAt = Infinity;
      this.watch();
    }, at - this.now());
    this.watchdog.unref();
  }

  /**
   * The earliest time a check of watch() could hold; Infinity when none can (nothing runs, and
   * nothing waits with a deadline: until that changes, and pump() arms the watchdog again).
   * A policy is over its budget KILL_MARGIN_MS after it started at the soonest, and no policy of
   * a job starts before the job was enqueued (a job sent ahead may have started before this
   * thread read the report of the one before it, so its headSince is no bound).
   */
  private nextWatchAt(): number {
    let due = Infinity;
    const byRun = (entry: Entry): void => {
      due = Math.min(due, entry.enqueuedAt + KILL_MARGIN_MS, entry.deadline === undefined ? Infinity : entry.deadline + KILL_MARGIN_MS);
    };
    for (const [worker, head] of this.running) {
      byRun(head);
      const ahead = this.waiting.get(worker) ?? [];
      if (ahead.length > 0) due = Math.min(due, (head.headSince ?? this.now()) + PIPELINE_PATIENCE_MS);
      ahead.forEach(byRun);
    }
    for (const entry of this.queue) if (entry.deadline !== undefined) due = Math.min(due, entry.deadline);
    return due;
  }

  private watch(): void {
    const now = this.now();
    const takenBack: Entry[] = [];
    for (const [worker, head] of this.running) {
      const ahead = this.waiting.get(worker) ?? [];
      const entry = inProgress(worker, head, ahead);
      const reading = worker.reading();
      const overBudget = reading !== undefined && now - this.epoch - reading.startedAt > reading.budgetMs + KILL_MARGIN_MS;
      const overDeadline = entry.deadline !== undefined && now > entry.deadline + KILL_MARGIN_MS;
      if (overBudget || overDeadline) {
        worker.stop('deadline');
      } else if (entry === head && ahead.length > 0 && now - (head.headSince ?? now) > PIPELINE_PATIENCE_MS) {
        // The job the worker runs turned slow: the jobs sent ahead run on the next free worker instead.
        takenBack.push(...this.takeBack(worker, ahead));
      }
    }
    this.requeueAll(takenBack.sort((a, b) => a.arrival - b.arrival));
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const entry = this.queue[i]!;
      if (entry.deadline !== undefined && now > entry.deadline) {
        this.queue.splice(i, 1);
        this.expire(entry);
      }
    }
    if (takenBack.length > 0) this.pump();
    this.armWatchdog();
  }

  /**
   * Takes back the jobs sent ahead to a worker, youngest first, up to the first one the worker
   * has already started (it started every one before it too). Returns them oldest first.
   */
  private takeBack(worker: PoolWorker, ahead: Entry[]): Entry[] {
    const taken: Entry[] = [];
    while (ahead.length > 0 && worker.revoke(ahead[ahead.length - 1]!.taskId!)) {
      taken.unshift(ahead.pop()!);
      this.options.observer?.onQueuedOnWorker?.('taken_back');
    }
    if (ahead.length === 0) this.waiting.delete(worker);
    return taken;
  }

  /** The request's deadline passed while it waited for a worker. */
  private expire(entry: Entry): void {
    this.options.observer?.onQueueWait?.(this.placement(entry).lane, (this.now() - entry.enqueuedAt) / 1000);
    expireTask(entry.task);
  }
}

/** The namespace of the policies a compile is for; '' for cluster policies or a set of several (a probe). */
function compileScope(policies: readonly ExecutablePolicy[]): string {
  return policies.length === 1 ? (policies[0]!.definition.identity.namespace ?? '') : '';
}
