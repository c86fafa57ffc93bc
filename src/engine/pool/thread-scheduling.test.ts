/**
 * SCHED_BATCH for the policy workers: the parts with fakes, then real threads and util-linux's
 * `chrt` (Linux only: elsewhere kclguard leaves the workers as they start, which the fake tests
 * cover).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parsePolicy } from '../schema.js';
import { kclRun, pod, request } from '../testing/fixtures.js';
import { programFilename } from '../compiled-policy.js';
import type { ExecutablePolicy } from '../executor.js';
import { kernelThreadId, scheduleAsBatch, scheduleThisThread, WorkerSchedulingPolicy, type CommandRunner } from './thread-scheduling.js';
import { WorkerPool } from './worker-pool.js';

const SCHED_BATCH = 3;
const onLinux = process.platform === 'linux';
const TEST_COMPILER = new URL('../../../test/support/pool-test-compiler.mjs', import.meta.url).href;

/** The scheduling policy of a thread of this process: field 41 of its stat (after the parenthesised name). */
function schedulingPolicy(threadId: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
  } catch {
    return undefined; // the thread has ended
  }
}

function batchThreads(): Set<number> {
  return new Set(readdirSync('/proc/self/task').map(Number).filter((tid) => schedulingPolicy(tid) === SCHED_BATCH));
}

/** Polls until `check` holds (each attempt 20 ms apart, at most 4 s); returns its last answer. */
async function eventually<T>(read: () => T, check: (value: T) => boolean): Promise<T> {
  let value = read();
  for (let i = 0; i < 200 && !check(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = read();
  }
  return value;
}

function recorder(failure?: string): { runner: CommandRunner; calls: (readonly string[])[] } {
  const calls: (readonly string[])[] = [];
  return { calls, runner: async (file, args) => (calls.push([file, ...args]), failure === undefined ? undefined : new Error(failure)) };
}

function logs(): { logger: { warn: (o: Record<string, unknown>, m: string) => void }; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  return { warnings, logger: { warn: (obj) => warnings.push(obj) } };
}

describe('kernelThreadId', () => {
  it('reads the thread id from /proc/thread-self', () => {
    expect(kernelThreadId(() => '4242/task/4250')).toBe(4250);
    expect(kernelThreadId(() => '/proc/4242/task/4251')).toBe(4251);
  });

  it('is undefined where /proc does not tell', () => {
    expect(kernelThreadId(() => { throw Object.assign(new Error('no such file'), { code: 'ENOENT' }); })).toBeUndefined();
    expect(kernelThreadId(() => '4242')).toBeUndefined();
    expect(kernelThreadId(() => '4242/task/x')).toBeUndefined();
  });

  (onLinux ? it : it.skip)('is the process id on the main thread and another id in a worker thread', async () => {
    expect(kernelThreadId()).toBe(process.pid);
    const worker = new Worker(`require('node:worker_threads').parentPort.postMessage(require('node:fs').readlinkSync('/proc/thread-self'));`, { eval: true });
    const link = await new Promise<string>((resolve) => worker.once('message', resolve));
    await worker.terminate();
    const threadId = kernelThreadId(() => link);
    expect(threadId).toBeGreaterThan(0);
    expect(threadId).not.toBe(process.pid);
  });
});

describe('scheduleAsBatch', () => {
  it('runs chrt --batch on the one thread, without a shell', async () => {
    const { runner, calls } = recorder();
    expect(await scheduleAsBatch(4250, runner)).toBeUndefined();
    expect(calls).toEqual([['chrt', '--batch', '--pid', '0', '4250']]);
  });

  it('passes the failure on, and runs nothing for an id that is not one', async () => {
    const { runner, calls } = recorder('spawn chrt ENOENT');
    expect(await scheduleAsBatch(4250, runner)).toBe('spawn chrt ENOENT');
    expect(await scheduleAsBatch(0, runner)).toMatch(/not a thread id/);
    expect(await scheduleAsBatch(Number.NaN, runner)).toMatch(/not a thread id/);
    expect(calls).toHaveLength(1);
  });
});

describe('scheduleThisThread', () => {
  it('with normal, changes nothing', async () => {
    const calls: number[] = [];
    expect(await scheduleThisThread('normal', () => 4250, async (tid: number) => (calls.push(tid), undefined))).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('with batch, schedules the calling thread and passes a failure on', async () => {
    const calls: number[] = [];
    expect(await scheduleThisThread('batch', () => 4250, async (tid: number) => (calls.push(tid), undefined))).toBeUndefined();
    expect(await scheduleThisThread('batch', () => 4251, async () => 'Operation not permitted')).toBe('Operation not permitted');
    expect(calls).toEqual([4250]);
  });

  it('fails when the OS does not tell the thread id', async () => {
    expect(await scheduleThisThread('batch', () => undefined, async () => undefined)).toMatch(/thread-self/);
  });
});

describe('WorkerSchedulingPolicy', () => {
  it('asks every new worker for batch until one reports a failure, then warns once and asks for normal', () => {
    const { logger, warnings } = logs();
    const policy = new WorkerSchedulingPolicy('batch', logger);
    expect(policy.forNewWorker).toBe('batch');
    policy.started(undefined);
    expect(policy.forNewWorker).toBe('batch');
    policy.started('spawn chrt ENOENT');
    policy.started('spawn chrt ENOENT'); // a second worker that started meanwhile
    expect(policy.forNewWorker).toBe('normal');
    expect(warnings).toEqual([{ reason: 'spawn chrt ENOENT' }]);
  });

  it('with normal, asks for nothing and warns about nothing', () => {
    const { logger, warnings } = logs();
    const policy = new WorkerSchedulingPolicy('normal', logger);
    policy.started(undefined);
    expect(policy.forNewWorker).toBe('normal');
    expect(warnings).toEqual([]);
  });
});

(onLinux ? describe : describe.skip)('on Linux, with util-linux chrt', () => {
  const pools: WorkerPool[] = [];
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.close();
  });

  it('puts one thread under SCHED_BATCH and leaves the others', async () => {
    const worker = new Worker(`const { readlinkSync } = require('node:fs'); const { parentPort } = require('node:worker_threads'); parentPort.postMessage(readlinkSync('/proc/thread-self')); setInterval(() => {}, 1000);`, { eval: true });
    try {
      const link = await new Promise<string>((resolve) => worker.once('message', resolve));
      const workerId = kernelThreadId(() => link)!;
      expect(await scheduleAsBatch(workerId)).toBeUndefined();
      expect(schedulingPolicy(workerId)).toBe(SCHED_BATCH);
      expect(schedulingPolicy(process.pid)).toBe(0);
    } finally {
      await worker.terminate();
    }
  });

  it('a pool with batch scheduling has every worker under SCHED_BATCH, a replacement too', async () => {
    const before = batchThreads();
    const pool = new WorkerPool({ size: 2, compilerModule: TEST_COMPILER, compileBudgetMs: 300, scheduling: 'batch' });
    pools.push(pool);
    await pool.started();
    const fresh = (): number[] => [...batchThreads()].filter((tid) => !before.has(tid));
    const first = await eventually(fresh, (tids) => tids.length === 2);
    expect(first).toHaveLength(2);

    // A policy that ends its worker: the pool starts another, which is scheduled the same way.
    const parsed = parsePolicy(kclRun('crash', 'team-a', { source: JSON.stringify({ crash: true }), timeoutMillis: 200 }));
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const crash: ExecutablePolicy = { definition: parsed.policy, filename: programFilename(parsed.policy.identity) };
    await pool.prepare(1, [crash]);
    const report = await pool.run({ generation: 1, request: request({ object: pod('web', 'team-a') }), policies: [{ key: crash.definition.identity.key, carry: true }] });
    expect(report.runs[0]!.outcome.kind).toBe('failed');
    const after = await eventually(fresh, (tids) => tids.length === 2 && tids.some((tid) => !first.includes(tid)));
    expect(after.filter((tid) => !first.includes(tid))).toHaveLength(1);
  });

  it('a pool whose workers cannot apply it warns once and runs them as they are', () => {
    // In a process of its own whose PATH has no chrt (a worker's environment is its process's):
    // the built pool, as kclguard serve runs it.
    const library = new URL('../../../dist/engine/index.js', import.meta.url).href;
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      const { WorkerPool } = await import(${JSON.stringify(library)});
      const warnings = [];
      const ignore = () => undefined;
      const pool = new WorkerPool({ size: 2, scheduling: 'batch', logger: { debug: ignore, info: ignore, error: ignore, warn: (obj) => warnings.push(obj) } });
      await pool.started();
      const policy = (tid) => { const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]); };
      const batch = readdirSync('/proc/self/task').filter((tid) => policy(tid) === 3).length;
      await pool.close();
      console.log(JSON.stringify({ warnings, batch }));`;
    let output = '';
    // A file, not `-e`: a worker thread inherits the process's execArgv, and under `-e` the
    // workers' own start-up went wrong in ways kclguard serve never sees.
    const dir = mkdtempSync(join(tmpdir(), 'kclguard-scheduling-'));
    try {
      writeFileSync(join(dir, 'pool.mjs'), script);
      const child = spawnSync(process.execPath, [join(dir, 'pool.mjs')], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' }, timeout: 30_000 });
      expect(child.stderr).toBe('');
      output = child.stdout;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { warnings, batch } = JSON.parse(output) as { warnings: { reason: string }[]; batch: number };
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.reason).toMatch(/ENOENT/);
    expect(batch).toBe(0);
  });

  it('a pool without it leaves its workers alone', async () => {
    const before = batchThreads();
    const pool = new WorkerPool({ size: 2, compilerModule: TEST_COMPILER, compileBudgetMs: 300 });
    pools.push(pool);
    await pool.started();
    // The workers are up and have said so; scheduling, if any were asked, starts from there.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...batchThreads()].filter((tid) => !before.has(tid))).toEqual([]);
  });
});
