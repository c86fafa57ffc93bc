/**
 * The load generator's scheduling policy during the closed loops (BENCH_LOAD_SCHEDULING: `batch`,
 * the default, or `normal`).
 *
 * The load generator is this process, on the same two cores as the server it loads. Each answer
 * the server writes wakes it, and under Linux's default policy a woken thread preempts the
 * running one, often the server's main thread on its own core (the kernel places a woken thread
 * next to its waker). The main thread then waits, runnable, while the load generator reads one
 * answer and sends the next request: `perf sched` showed this answer after answer in a 10-policy run,
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
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Linux's numbers for the policies chrt may set here (field 41 of a thread's stat). */
const SCHED_BATCH = 3;
const FLAG_OF_POLICY = new Map([
  [0, '--other'],
  [SCHED_BATCH, '--batch'],
  [5, '--idle'],
]);

/** The policy asked for; anything but `batch` or `normal` stops the bench. */
export function loadSchedulingPolicy() {
  const policy = process.env.BENCH_LOAD_SCHEDULING ?? 'batch';
  if (policy !== 'batch' && policy !== 'normal') throw new Error(`BENCH_LOAD_SCHEDULING must be batch or normal, not ${JSON.stringify(policy)}`);
  return policy;
}

/** This process's threads and the scheduling policy of each; undefined elsewhere than Linux. */
function ownThreads() {
  let tids;
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const policies = new Map();
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      policies.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return policies;
}

/** Sets one thread's policy; returns why it could not, or undefined (also when the thread has ended). */
function setPolicy(tid, flag) {
  try {
    execFileSync('chrt', [flag, '--pid', '0', tid], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    if (error.code === 'ENOENT') return 'util-linux chrt is not on PATH';
    if (!existsSync(`/proc/self/task/${tid}`)) return undefined;
    return `chrt ${flag} failed for thread ${tid}: ${String(error.stderr ?? error.message).trim().split('\n')[0]}`;
  }
}

/**
 * Runs `load` with this process's threads under the asked policy, then puts every thread back
 * under the policy it had (a thread started meanwhile under the main thread's). `onFailure` is
 * told why the policy could not be set, in which case the run goes on under the policy the
 * threads had, or why a thread could not be put back.
 */
export async function underLoadScheduling(load, onFailure) {
  if (loadSchedulingPolicy() !== 'batch') return load();
  const before = ownThreads();
  if (!before) {
    onFailure('no /proc/self/task (not Linux)');
    return load();
  }
  let failure;
  for (const tid of before.keys()) {
    failure = setPolicy(tid, FLAG_OF_POLICY.get(SCHED_BATCH));
    if (failure) break;
  }
  if (failure) onFailure(failure);
  try {
    return await load();
  } finally {
    restore(before, onFailure);
  }
}

/** Two passes: a thread a still-batch thread starts during the first inherits batch. */
function restore(before, onFailure) {
  const fallback = before.get(String(process.pid)) ?? 0;
  for (let pass = 0; pass < 2; pass++) {
    for (const [tid, policy] of ownThreads() ?? []) {
      const wanted = before.get(tid) ?? fallback;
      if (policy === wanted) continue;
      const failure = setPolicy(tid, FLAG_OF_POLICY.get(wanted) ?? '--other');
      if (failure) onFailure(`could not put the load generator back: ${failure}`);
    }
  }
}
