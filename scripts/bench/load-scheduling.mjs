/**
 * The load generator's scheduling policy during the closed loops (BENCH_LOAD_SCHEDULING: `batch`,
 * the default, or `normal`).
 *
 * The load generator is this process, on the same two cores as the server it loads. Each answer
 * the server writes wakes it, and under Linux's default policy a woken thread preempts the
 * running one, often the server's main thread on its own core (the kernel places a woken thread
 * next to its waker). The main thread then waits, runnable, while the load generator reads one
 * answer and sends the next request: `perf sched` showed this for every answer of a 10-policy run,
 * and the load generator went to sleep about once every two reviews. A real API server calls from
 * another machine and takes nothing from the webhook's cores.
 *
 * Under SCHED_BATCH a woken thread does not preempt the running one; it keeps its fair share of
 * the CPU otherwise (the weight of nice 0), so the load it generates is the same, only its
 * wake-ups stop interrupting the server. The open loops keep the default policy: their sender
 * must wake on schedule, and below saturation the server has cores to spare.
 *
 * util-linux `chrt` sets the policy of each of this process's threads by thread id (Node has no
 * binding for sched_setscheduler); a thread started later inherits it from its creator.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const POLICIES = { batch: '--batch', normal: '--other' };

/** The policy asked for; anything but `batch` or `normal` stops the bench. */
export function loadSchedulingPolicy() {
  const policy = process.env.BENCH_LOAD_SCHEDULING ?? 'batch';
  if (!(policy in POLICIES)) throw new Error(`BENCH_LOAD_SCHEDULING must be batch or normal, not ${JSON.stringify(policy)}`);
  return policy;
}

/** Puts every thread of this process under `policy`; returns why it could not, or undefined. */
function scheduleOwnThreads(policy) {
  let tids;
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 'no /proc/self/task (not Linux)';
  }
  for (const tid of tids) {
    try {
      execFileSync('chrt', [POLICIES[policy], '--pid', '0', tid], { stdio: 'pipe' });
    } catch (error) {
      // A thread that ended meanwhile is no failure; a missing chrt is.
      if (error.code === 'ENOENT') return 'util-linux chrt is not on PATH';
    }
  }
  return undefined;
}

/**
 * Runs `load` with this process under the asked policy, and under the default policy again
 * afterwards. `onFailure` is told, once per call, why the policy could not be set (the run then
 * goes on under the default policy).
 */
export async function underLoadScheduling(load, onFailure) {
  if (loadSchedulingPolicy() !== 'batch') return load();
  const failure = scheduleOwnThreads('batch');
  if (failure) onFailure(failure);
  try {
    return await load();
  } finally {
    if (!failure) scheduleOwnThreads('normal');
  }
}
