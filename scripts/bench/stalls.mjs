/**
 * How much the machine itself stalls a running thread: the noise under every latency figure.
 * One thread per CPU spins, reading the clock; a gap between two reads longer than GAP_MS is time
 * the thread did not run (the kernel, another process, or on a virtual machine the host, ran
 * instead). The load average cannot show a busy host; this can. A p99 at a fixed rate cannot be
 * expected to stay below gaps that the machine hands out several times a second (figures for
 * this machine, quiet and busy: docs/performance.md, "The machine's own stalls").
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Gaps shorter than this are the clock reads themselves and cache misses, not a stall. */
export const GAP_MS = 0.1;

const SPINNER = `
const { parentPort, workerData } = require('node:worker_threads');
const end = performance.now() + workerData.ms;
const gaps = [];
let last = performance.now();
while (last < end) {
  const now = performance.now();
  if (now - last > workerData.gapMs) gaps.push(now - last);
  last = now;
}
parentPort.postMessage(gaps);
`;

/** Spins one thread per CPU for `seconds`; resolves with each thread's gaps (ms). */
export async function spinGaps(seconds, threads = availableParallelism()) {
  const spin = () =>
    new Promise((resolve, reject) => {
      const worker = new Worker(SPINNER, { eval: true, workerData: { ms: seconds * 1000, gapMs: GAP_MS } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  return Promise.all(Array.from({ length: threads }, spin));
}

/**
 * What the threads lost: the share of their time in gaps, gaps over 1 ms per thread-second, and
 * the longest gaps (at most five), from `gapsPerThread` measured over `seconds`.
 */
export function summarizeGaps(gapsPerThread, seconds) {
  const all = gapsPerThread.flat().sort((a, b) => b - a);
  const threadSeconds = seconds * gapsPerThread.length;
  const lostMs = all.reduce((sum, gap) => sum + gap, 0);
  return {
    threads: gapsPerThread.length,
    lostShare: threadSeconds > 0 ? lostMs / (threadSeconds * 1000) : 0,
    over1msPerSecond: threadSeconds > 0 ? all.filter((gap) => gap > 1).length / threadSeconds : 0,
    longest: all.slice(0, 5),
  };
}

/** One line for the benches' output. */
export function describeStalls(summary) {
  const longest = summary.longest.length > 0 ? summary.longest.map((gap) => gap.toFixed(1)).join(', ') : 'none';
  return `${summary.threads} spinning threads lost ${(100 * summary.lostShare).toFixed(2)}% of their time; gaps over 1 ms: ${summary.over1msPerSecond.toFixed(1)} per thread-second; longest gaps ms: ${longest}`;
}

/** Measures and describes the machine's stalls over `seconds`. */
export async function machineStalls(seconds = 3) {
  const summary = summarizeGaps(await spinGaps(seconds), seconds);
  return { ...summary, text: describeStalls(summary) };
}
