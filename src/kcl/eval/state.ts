/**
 * Per-run state of one evaluation: the guardrails (steps, depth, clock, value size), options,
 * print output and the lazy module scope. A fresh RunState is made for every `program.run`, so
 * a compiled program holds no mutable state between runs.
 */
import type { BuiltinContext } from '../builtin-context.js';
import type { HostAnswer, HostCall, HostCallHandler, LogEntry, LogLevel, RunLimits } from '../api-types.js';
import { kclError } from '../diagnostics.js';
import { chargeJson, toKcl } from '../convert.js';
import { ELEMENT_BYTES, TextBudget, containerBytes, sizeError, stepsForBytes } from '../budget.js';
import type { Span } from '../span.js';
import type { Env } from './env.js';
import { ModuleScope, type ModuleOwner } from './module-scope.js';
import type { CallArgs, KFunction, Value } from '../value.js';

export const DEFAULT_LIMITS: Required<Omit<RunLimits, 'clock'>> = {
  maxSteps: 1_000_000,
  maxDepth: 200,
  timeoutMs: 1_000,
  maxValueSize: 1_000_000,
  // Kubernetes stores objects of at most ~1.5 MiB (etcd's request limit): a policy may need to
  // encode a whole object, indented YAML included, with room to spare, and nothing more.
  maxStringBytes: 4 * 1024 * 1024,
  // Sixteen of the largest strings, or millions of elements: far beyond any real policy, and
  // well below the heap a worker is given (so a memory bomb ends as K9004, not as a kill).
  maxAllocBytes: 64 * 1024 * 1024,
};

/**
 * Steps between two looks at the clock. Date.now() is too slow to call on every step; every
 * builtin and operator charges steps for the elements and bytes it touches (budget.ts), so 1,024
 * steps stay well under a millisecond of work and K9003 comes close to the budget.
 */
const CLOCK_EVERY = 1024;

export class RunState implements BuiltinContext {
  readonly maxSteps: number;
  readonly maxDepth: number;
  readonly maxValueSize: number;
  readonly maxStringBytes: number;
  readonly maxAllocBytes: number;
  /** Bytes of strings and containers created so far (an estimate: see budget.ts). */
  private allocated = 0;
  private readonly deadline: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  /** Steps left before the next slow check (budget or clock). */
  private countdown: number;
  private chunk: number;
  private stepsTaken = 0;
  depth = 0;
  callSpan: Span | undefined;
  /** The span of the statement being evaluated, for errors raised without a better one. */
  stmtSpan: Span | undefined;
  readonly printedParts: string[] = [];
  /** `log` messages, when the caller gave no onLog. */
  readonly logEntries: LogEntry[] = [];
  /** What the last `manifests.yaml_stream()` call asked to print instead of the exports. */
  outputStream: { docs: readonly Value[]; text: string } | undefined;
  /** The scope of each module used in this run, made on first use (once per run). */
  private readonly scopes = new Map<ModuleOwner, ModuleScope>();

  constructor(
    limits: RunLimits | undefined,
    private readonly options: Readonly<Record<string, Value>>,
    private readonly onPrint: ((line: string) => void) | undefined,
    private readonly onLog?: (level: LogLevel, message: string) => void,
    private readonly host?: HostCallHandler,
  ) {
    this.maxSteps = limits?.maxSteps ?? DEFAULT_LIMITS.maxSteps;
    this.maxDepth = limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth;
    this.maxValueSize = limits?.maxValueSize ?? DEFAULT_LIMITS.maxValueSize;
    this.maxStringBytes = limits?.maxStringBytes ?? DEFAULT_LIMITS.maxStringBytes;
    this.maxAllocBytes = limits?.maxAllocBytes ?? DEFAULT_LIMITS.maxAllocBytes;
    this.timeoutMs = limits?.timeoutMs ?? DEFAULT_LIMITS.timeoutMs;
    this.deadline = (limits?.clock ?? Date.now)() + this.timeoutMs;
    this.now = limits?.clock ?? Date.now;
    this.chunk = Math.max(1, Math.min(CLOCK_EVERY, this.maxSteps));
    this.countdown = this.chunk;
  }

  /** Hot path: one decrement and compare; the budget and clock are checked every few steps. */
  step(count = 1): void {
    this.countdown -= count;
    if (this.countdown <= 0) this.slowCheck();
  }

  private slowCheck(): void {
    this.stepsTaken += this.chunk - this.countdown;
    if (this.stepsTaken > this.maxSteps) {
      throw kclError('K9001', `evaluation exceeded the step budget of ${this.maxSteps} steps`, this.here());
    }
    if (this.now() > this.deadline) {
      throw kclError('K9003', `evaluation exceeded the time budget of ${this.timeoutMs} ms`, this.here());
    }
    // At least one step, so the step after the budget is used up fails on its own check.
    this.chunk = Math.max(1, Math.min(CLOCK_EVERY, this.maxSteps - this.stepsTaken + 1));
    this.countdown = this.chunk;
  }

  /** The module's scope in this run: a module is evaluated at most once per run. */
  scopeFor(owner: ModuleOwner): ModuleScope {
    let scope = this.scopes.get(owner);
    if (!scope) {
      if (!owner.plan) throw new Error(`module ${owner.pkgpath} is used before it is planned`);
      scope = new ModuleScope(this, owner);
      this.scopes.set(owner, scope);
    }
    return scope;
  }

  /** The root environment of a module in this run. */
  rootOf(owner: ModuleOwner): Env {
    return this.scopeFor(owner).root;
  }

  enter(span: Span | undefined): void {
    if (++this.depth > this.maxDepth) {
      this.depth = 0;
      throw kclError('K9002', `maximum recursion depth ${this.maxDepth} exceeded`, span ?? this.here());
    }
  }

  leave(): void {
    this.depth--;
  }

  /**
   * Guards a list or dict about to be created with `size` elements: the per-value limit, and
   * the run's allocation budget (ELEMENT_BYTES each).
   */
  checkSize(size: number, span?: Span): void {
    if (size > this.maxValueSize) {
      throw kclError('K9004', `value of ${size} elements exceeds the size limit of ${this.maxValueSize}`, span ?? this.here());
    }
    this.allocate(size * ELEMENT_BYTES, span);
  }

  /**
   * Guards a list or dict a builtin builds from text (a decoder, regex matches) or the program
   * builds (a literal, a comprehension, a schema instance): the per-value limit, and its real heap
   * cost against the allocation budget, its own structure included (containerBytes): a text of
   * many small containers, or a comprehension making one per element of the object, is a memory
   * bomb otherwise.
   */
  checkContainer(kind: 'list' | 'dict', size: number, span?: Span): void {
    if (size > this.maxValueSize) {
      throw kclError('K9004', `value of ${size} elements exceeds the size limit of ${this.maxValueSize}`, span ?? this.here());
    }
    this.allocate(containerBytes(kind, size), span);
  }

  /**
   * Guards a string about to be created with `bytes` bytes: the string limit and the allocation
   * budget, and one step per BYTES_PER_STEP bytes for the copying.
   */
  checkBytes(bytes: number, span?: Span): void {
    if (bytes > this.maxStringBytes) throw sizeError('string', bytes, this.maxStringBytes, span ?? this.here());
    this.allocate(bytes, span);
    this.step(stepsForBytes(bytes));
  }

  /** Counts `bytes` more against the run's allocation budget (K9004 beyond it). */
  allocate(bytes: number, span?: Span): void {
    this.allocated += bytes;
    if (this.allocated > this.maxAllocBytes) {
      throw kclError('K9004', `the run allocated ${this.allocated} bytes, beyond its budget of ${this.maxAllocBytes} bytes`, span ?? this.here());
    }
  }

  /**
   * The budget of a string a writer is about to produce (str(), JSON, YAML): the string limit,
   * or what is left of the allocation budget if that is less. The caller records the finished
   * string with checkBytes.
   */
  textBudget(what = 'string', span?: Span): TextBudget {
    const left = Math.max(0, this.maxAllocBytes - this.allocated);
    return new TextBudget(Math.min(this.maxStringBytes, left), this, what, span ?? this.here());
  }

  here(): Span | undefined {
    return this.callSpan ?? this.stmtSpan;
  }

  // ---------------------------------------------------------------- BuiltinContext

  option(name: string): Value | undefined {
    return Object.prototype.hasOwnProperty.call(this.options, name) ? this.options[name] : undefined;
  }

  print(text: string): void {
    if (this.onPrint) this.onPrint(text);
    else this.printedParts.push(text);
  }

  setOutputStream(docs: readonly Value[], text: string): void {
    this.outputStream = { docs, text };
  }

  log(level: LogLevel, message: string): void {
    if (this.onLog) this.onLog(level, message);
    else this.logEntries.push({ level, message });
  }

  hostCall(call: Omit<HostCall, 'remainingMs'>): Value {
    const what = `${call.module}.${call.function}()`;
    if (!this.host) throw kclError('K9009', `${what}: module ${call.module} is not available here (nothing answers its calls)`, this.here());
    const remainingMs = this.deadline - this.now();
    if (remainingMs <= 0) throw kclError('K9003', `evaluation exceeded the time budget of ${this.timeoutMs} ms`, this.here());
    let answer: HostAnswer;
    try {
      answer = this.host({ ...call, remainingMs });
    } catch (e) {
      throw kclError('K9009', `${what}: the host could not answer: ${e instanceof Error ? e.message : String(e)}`, this.here());
    }
    // Waiting for the answer is part of the run: it counts against the time budget.
    if (this.now() > this.deadline) throw kclError('K9003', `evaluation exceeded the time budget of ${this.timeoutMs} ms (waiting for ${what})`, this.here());
    if (!answer.ok) throw kclError(answer.code, answer.message, this.here());
    // The answer becomes values of this run: counted like values the program builds itself.
    chargeJson(answer.value, this);
    return toKcl(answer.value);
  }

  /** Set by the evaluator once the call machinery exists (avoids an import cycle). */
  callFunction(fn: KFunction, args: CallArgs): Value {
    return fn.call(args, this);
  }
}
