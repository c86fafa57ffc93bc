/**
 * The bench's load generator under SCHED_BATCH during the closed loops (scripts/bench/
 * load-scheduling.mjs): on real threads of this process with util-linux `chrt`, read back from
 * /proc (Linux only, like the bench itself).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface LoadSchedulingModule {
  loadSchedulingPolicy(): 'batch' | 'normal';
  underLoadScheduling<T>(load: () => Promise<T>, onFailure: (reason: string) => void): Promise<T>;
}

const MODULE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'bench', 'load-scheduling.mjs');
const load = (): Promise<LoadSchedulingModule> => import(pathToFileURL(MODULE).href) as Promise<LoadSchedulingModule>;

const SCHED_OTHER = 0;
const SCHED_BATCH = 3;
const onLinux = process.platform === 'linux';

/** Each live thread's scheduling policy: field 41 of its stat (after the parenthesised name). */
function policies(): number[] {
  const found: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      found.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
}

const saved = process.env.BENCH_LOAD_SCHEDULING;
afterEach(() => {
  if (saved === undefined) delete process.env.BENCH_LOAD_SCHEDULING;
  else process.env.BENCH_LOAD_SCHEDULING = saved;
});

describe('the load generator scheduling policy', () => {
  test('is batch unless BENCH_LOAD_SCHEDULING says normal; any other value stops the bench', async () => {
    const { loadSchedulingPolicy } = await load();
    delete process.env.BENCH_LOAD_SCHEDULING;
    expect(loadSchedulingPolicy()).toBe('batch');
    process.env.BENCH_LOAD_SCHEDULING = 'normal';
    expect(loadSchedulingPolicy()).toBe('normal');
    process.env.BENCH_LOAD_SCHEDULING = 'idle';
    expect(() => loadSchedulingPolicy()).toThrow(/batch or normal/);
  });

  (onLinux ? test : test.skip)('puts every thread under SCHED_BATCH during the load, and back afterwards', async () => {
    const { underLoadScheduling } = await load();
    delete process.env.BENCH_LOAD_SCHEDULING;
    expect(new Set(policies())).toEqual(new Set([SCHED_OTHER]));
    const failures: string[] = [];
    const during = await underLoadScheduling(async () => policies(), (reason) => failures.push(reason));
    expect(failures).toEqual([]);
    expect(new Set(during)).toEqual(new Set([SCHED_BATCH]));
    expect(new Set(policies())).toEqual(new Set([SCHED_OTHER]));
  });

  (onLinux ? test : test.skip)('puts back a thread started during the load too', async () => {
    const { underLoadScheduling } = await load();
    delete process.env.BENCH_LOAD_SCHEDULING;
    const failures: string[] = [];
    let worker: Worker | undefined;
    try {
      const during = await underLoadScheduling(async () => {
        worker = new Worker('setInterval(() => undefined, 1000)', { eval: true });
        await new Promise((resolve) => worker!.once('online', resolve));
        return policies();
      }, (reason) => failures.push(reason));
      // The worker's threads were started by a batch thread: batch too, until put back.
      expect(new Set(during)).toEqual(new Set([SCHED_BATCH]));
      expect(failures).toEqual([]);
      expect(new Set(policies())).toEqual(new Set([SCHED_OTHER]));
    } finally {
      await worker?.terminate();
    }
  });

  (onLinux ? test : test.skip)('restores the default policy when the load throws', async () => {
    const { underLoadScheduling } = await load();
    delete process.env.BENCH_LOAD_SCHEDULING;
    await expect(underLoadScheduling(async () => Promise.reject(new Error('load failed')), () => undefined)).rejects.toThrow('load failed');
    expect(new Set(policies())).toEqual(new Set([SCHED_OTHER]));
  });

  (onLinux ? test : test.skip)('with BENCH_LOAD_SCHEDULING=normal, leaves the threads as they are', async () => {
    const { underLoadScheduling } = await load();
    process.env.BENCH_LOAD_SCHEDULING = 'normal';
    const during = await underLoadScheduling(async () => policies(), () => undefined);
    expect(new Set(during)).toEqual(new Set([SCHED_OTHER]));
  });

  (onLinux ? test : test.skip)('when chrt fails (a seccomp profile, an old kernel), says why instead of labelling the run batch', () => {
    const bin = mkdtempSync(join(tmpdir(), 'kclguard-chrt-'));
    try {
      writeFileSync(join(bin, 'chrt'), '#!/bin/sh\necho "chrt: failed to set pid policy: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
      const script = `
        import { underLoadScheduling } from ${JSON.stringify(pathToFileURL(MODULE).href)};
        const failures = [];
        await underLoadScheduling(async () => undefined, (reason) => failures.push(reason));
        console.log(JSON.stringify(failures));`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: bin } });
      expect(child.stderr).toBe('');
      const failures = JSON.parse(child.stdout) as string[];
      expect(failures[0]).toMatch(/^chrt --batch failed for thread \d+: chrt: failed to set pid policy: Operation not permitted$/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  (onLinux ? test : test.skip)('without chrt, says why and runs the load under the default policy', () => {
    // In a process of its own: child_process looks chrt up on the real environment's PATH,
    // which this test's sandboxed process.env does not reach.
    const script = `
      import { underLoadScheduling } from ${JSON.stringify(pathToFileURL(MODULE).href)};
      import { readFileSync } from 'node:fs';
      const policy = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[41 - 3]);
      const failures = [];
      const during = await underLoadScheduling(async () => policy(), (reason) => failures.push(reason));
      console.log(JSON.stringify({ failures, during }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: '/nonexistent' },
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ failures: ['util-linux chrt is not on PATH'], during: SCHED_OTHER });
  });
});
