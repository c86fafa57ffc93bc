#!/usr/bin/env node
/**
 * What handing a job to a worker thread and its report back costs on this machine, apart from
 * the job itself: the question behind the worker pool's overhead per review (docs/performance.md,
 * "Where a review's time goes"). The main thread sends jobs (the bench's review text) to one worker,
 * which spends WORK_US of CPU on each (a busy wait, standing in for the policies) and answers with
 * a 1 KiB report; INFLIGHT jobs are in flight at a time, as in the pool. Three transports:
 *
 * - `message`: postMessage both ways, as the pool does;
 * - `shared`: a ring of slots in a SharedArrayBuffer both ways, the worker sleeping in
 *   Atomics.wait and the main thread in Atomics.waitAsync (its event loop stays free);
 * - `poll`: the same ring, the main thread polling it in a loop: no thread ever sleeps. Not an
 *   option for a server, whose event loop this blocks; the floor of what the copying and the
 *   bookkeeping cost.
 *
 * As a library: handoffCost() runs each transport in a child process per round, in alternating
 * order, and gives the medians. As a script (the child):
 *
 *   node scripts/bench/handoff.mjs TRANSPORT JOBS WORK_US INFLIGHT REVIEW_FILE
 *
 * prints one JSON line: CPU µs per job of the whole process (every thread), wall µs per job, and
 * (Linux) the threads' voluntary context switches per job: how often a thread went to sleep.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { median } from './load.mjs';
import { cpuPerItem, threadCpu } from './thread-cpu.mjs';
import { REPORT, ringBuffers, TRANSPORTS } from './handoff-ring.mjs';

const SELF = fileURLToPath(import.meta.url);

/** Medians over `rounds` of each transport's CPU and wall µs per job and sleeps per job. */
export function handoffCost({ reviewFile, jobs = 20_000, workUs = 100, inflight = 2, rounds = 3 }) {
  const samples = new Map(TRANSPORTS.map((t) => [t, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? TRANSPORTS : [...TRANSPORTS].reverse();
    for (const transport of order) {
      const child = spawnSync(process.execPath, [SELF, transport, String(jobs), String(workUs), String(inflight), reviewFile], { encoding: 'utf8', timeout: 120_000 });
      if (child.status !== 0) throw new Error(`handoff ${transport}: ${(child.stderr || child.stdout || `exit ${child.status}`).trim().split('\n').pop()}`);
      samples.get(transport).push(JSON.parse(child.stdout));
    }
  }
  return TRANSPORTS.map((transport) => {
    const of = (field) => median(samples.get(transport).map((s) => s[field] ?? Number.NaN));
    return { transport, cpuUs: of('cpuUsPerJob'), wallUs: of('wallUsPerJob'), sleepsPerJob: of('sleepsPerJob') };
  });
}

async function measure(transport, jobs, workUs, inflight, job) {
  const rings = ringBuffers(Buffer.byteLength(job) + 64);
  const worker = new Worker(new URL('./handoff-worker.mjs', import.meta.url), { workerData: { transport, workUs, shared: rings.shared } });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const run = (count) => (transport === 'message' ? byMessage(worker, count, inflight, job) : transport === 'shared' ? bySharedWait(rings, count, inflight, job) : bySharedPoll(rings, count, inflight, job));
  await run(Math.max(500, jobs / 10)); // warm-up: JIT on both threads
  const threads = threadCpu(process.pid);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(jobs);
  const wallUs = (performance.now() - started) * 1000;
  const used = process.cpuUsage(cpu);
  const perJob = cpuPerItem(threads, threadCpu(process.pid), jobs);
  await worker.terminate();
  return {
    transport,
    jobs,
    workUs,
    inflight,
    cpuUsPerJob: (used.user + used.system) / jobs,
    wallUsPerJob: wallUs / jobs,
    ...(perJob ? { sleepsPerJob: perJob.mainSleeps + perJob.otherSleeps } : {}),
  };
}

function byMessage(worker, count, inflight, job) {
  return new Promise((resolve) => {
    let sent = 0;
    let answered = 0;
    const onMessage = (message) => {
      if (message.report.length !== REPORT.length) throw new Error('short report');
      answered += 1;
      if (sent < count) worker.postMessage({ id: sent++, job });
      if (answered === count) {
        worker.off('message', onMessage);
        resolve();
      }
    };
    worker.on('message', onMessage);
    for (; sent < Math.min(inflight, count); ) worker.postMessage({ id: sent++, job });
  });
}

/** Takes the reports the worker has written; each is followed by the next job while any are left. */
function drainReports(rings, state, job) {
  const available = Atomics.load(rings.counters, rings.FROM_WORKER);
  while (state.answered < available) {
    if (rings.fromWorker.read(state.answered).length !== REPORT.length) throw new Error('short report');
    state.answered += 1;
    if (state.sent < state.target) rings.send(state, job);
  }
  return available;
}

function bySharedWait(rings, count, inflight, job) {
  const state = rings.start(inflight, count, job);
  return new Promise((resolve) => {
    const drain = () => {
      const available = drainReports(rings, state, job);
      if (state.answered >= state.target) return resolve();
      const waited = Atomics.waitAsync(rings.counters, rings.FROM_WORKER, available);
      if (waited.async) waited.value.then(drain);
      else drain();
    };
    drain();
  });
}

function bySharedPoll(rings, count, inflight, job) {
  const state = rings.start(inflight, count, job);
  while (state.answered < state.target) drainReports(rings, state, job);
  return Promise.resolve();
}

if (process.argv[1] === SELF) {
  const [transport, jobs, workUs, inflight, reviewFile] = process.argv.slice(2);
  if (!TRANSPORTS.includes(transport)) throw new Error(`transport is one of ${TRANSPORTS.join(', ')}`);
  const result = await measure(transport, Number(jobs), Number(workUs), Number(inflight), readFileSync(reviewFile, 'utf8'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
