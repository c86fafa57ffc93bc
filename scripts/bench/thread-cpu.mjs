/**
 * CPU time of a process by thread, from Linux's /proc/<pid>/task/<tid>/stat (utime + stime, in
 * clock ticks of 10 ms): the benches split a server's CPU per review into its main thread (the
 * thread whose id is the process id) and all other threads (Node's policy workers and V8's helper
 * threads; Go's runtime threads for OPA). Elsewhere than Linux it reads nothing and the benches
 * leave the split out.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000;

/** CPU µs so far of the process's main thread and of its other threads; undefined if unreadable. */
export function threadCpu(pid) {
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const used = { main: 0, others: 0 };
  for (const tid of tids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (tid === String(pid)) used.main += ticks * TICK_US;
    else used.others += ticks * TICK_US;
  }
  return used;
}

/** CPU µs per item between two readings of threadCpu (threads that ended in between are lost). */
export function cpuPerItem(before, after, items) {
  if (!before || !after || items <= 0) return undefined;
  const main = (after.main - before.main) / items;
  const others = (after.others - before.others) / items;
  return { main, others, total: main + others };
}
