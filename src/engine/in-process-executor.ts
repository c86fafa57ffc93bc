/**
 * The PolicyExecutor that compiles and runs on the calling thread: what the offline CLI and the
 * engine's unit tests use, and what each pool worker runs inside (src/engine/pool/worker.ts).
 * Budgets are the interpreter's own (steps, clock, sizes); there is no hard stop here — that is
 * the worker pool's job.
 */
import {
  compileDefinition,
  compileOutcomeOf,
  loadedPolicy,
  retainPrograms,
  type CompiledPolicy,
  type ProgramCache,
} from './compiled-policy.js';
import type { CompileOutcome, ExecutablePolicy, PolicyExecutor, RunJob, RunReport } from './executor.js';
import type { PolicyCompiler } from './policy-compiler.js';
import { runJob, type CompiledGeneration, type RunClock, type RunProgress } from './run-job.js';
import { lookupClient, type LookupClient } from './lookups/lookup-client.js';
import type { LookupResponder } from './lookups/lookups.js';

export interface InProcessExecutorOptions {
  readonly compiler: PolicyCompiler;
  readonly clock?: RunClock;
  /** Told when each policy starts and ends, run or compile (a worker's watchdog slot). */
  readonly progress?: RunProgress;
  /** The budget reported to `progress` for compiling one policy. */
  readonly compileBudgetMs?: number;
  /** Answers the programs' `kube` calls here, synchronously (see serveLookups). */
  readonly lookups?: LookupResponder;
  /** Answers them some other way (a pool worker's bridge to the main thread). */
  readonly lookupClient?: LookupClient;
}

export class InProcessExecutor implements PolicyExecutor {
  private readonly generations = new Map<number, Map<string, CompiledPolicy>>();
  private readonly programs: ProgramCache = new Map();
  private readonly clock: RunClock;
  private lookups: LookupClient | undefined;

  constructor(private readonly options: InProcessExecutorOptions) {
    this.clock = options.clock ?? { now: Date.now };
    this.lookups = options.lookupClient;
    if (options.lookups) this.serveLookups(options.lookups);
  }

  /** Lookups are answered on this thread, synchronously: responder.answerNow. */
  serveLookups(responder: LookupResponder): void {
    this.lookups = lookupClient((policy, call, remainingMs) => responder.answerNow(policy, call, remainingMs), responder.limits);
  }

  async prepare(generation: number, policies: readonly ExecutablePolicy[]): Promise<ReadonlyMap<string, CompileOutcome>> {
    return this.prepareNow(generation, policies);
  }

  /** prepare, synchronously: a worker compiles while the main thread waits for its answer. */
  prepareNow(generation: number, policies: readonly ExecutablePolicy[]): ReadonlyMap<string, CompileOutcome> {
    const compiled = new Map<string, CompiledPolicy>();
    const outcomes = new Map<string, CompileOutcome>();
    for (const [index, { definition, knownOutcome }] of policies.entries()) {
      if (knownOutcome) {
        outcomes.set(definition.identity.key, knownOutcome);
        compiled.set(definition.identity.key, loadedPolicy(definition, knownOutcome));
        continue;
      }
      const result = this.compileWatched(index, () => compileDefinition(definition, this.options.compiler, this.programs));
      const outcome = compileOutcomeOf(result);
      outcomes.set(definition.identity.key, outcome);
      compiled.set(definition.identity.key, loadedPolicy(definition, outcome, result));
    }
    this.generations.set(generation, compiled);
    this.retainLive();
    return outcomes;
  }

  async compile(policy: ExecutablePolicy): Promise<CompileOutcome> {
    return this.compileNow(policy);
  }

  /** Compiles policies without keeping them (the admission check of a policy being written). */
  compileNow(policy: ExecutablePolicy, index = 0): CompileOutcome {
    return compileOutcomeOf(this.compileWatched(index, () => compileDefinition(policy.definition, this.options.compiler)));
  }

  private compileWatched<T>(index: number, compile: () => T): T {
    this.options.progress?.started(index, this.options.compileBudgetMs ?? 0x7fffffff);
    try {
      return compile();
    } finally {
      this.options.progress?.ended();
    }
  }

  async run(job: RunJob): Promise<RunReport> {
    return this.runNow(job);
  }

  runNow(job: RunJob): RunReport {
    return runJob(job, this.generation(job.generation), this.clock, this.options.progress, this.lookups);
  }

  has(generation: number): boolean {
    return this.generations.has(generation);
  }

  release(generation: number): void {
    if (this.generations.delete(generation)) this.retainLive();
  }

  async close(): Promise<void> {
    this.generations.clear();
    this.programs.clear();
  }

  private generation(generation: number): CompiledGeneration {
    const compiled = this.generations.get(generation);
    if (!compiled) throw new Error(`policy generation ${generation} is not loaded here`);
    return compiled;
  }

  /** Programs no live generation uses are dropped. */
  private retainLive(): void {
    const definitions = [];
    for (const compiled of this.generations.values()) {
      for (const policy of compiled.values()) if (policy.definition) definitions.push(policy.definition);
    }
    retainPrograms(this.programs, definitions);
  }
}
