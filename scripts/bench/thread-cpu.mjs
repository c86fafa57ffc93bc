/**
 * CPU time of a process by thread, from Linux's /proc/<pid>/task/<tid>/stat (utime + stime, in
 * clock ticks of 10 ms), and of whole processes (/proc/<pid>/stat, every thread of the process,
 * for bench:e2e's split of an object's CPU over the API server, etcd, the webhook and the
 * clients). The benches split a server's CPU per review into its main thread (the
 * thread whose id is the process id) and all other threads (Node's policy workers and V8's helper
 * threads; Go's runtime threads for OPA), and counts how often those threads went to sleep
 * (voluntary context switches, /proc/<pid>/task/<tid>/status): on a virtual machine each sleep and
 * wake-up of a thread costs CPU of its own (scripts/bench/handoff.mjs). Elsewhere than Linux it
 * reads nothing and the benches leave the split out.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000;

/**
 * CPU µs and sleeps so far of the process's main thread and of its other threads; undefined if
 * unreadable.
 */
export function threadCpu(pid) {
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const used = { main: 0, others: 0, mainSleeps: 0, otherSleeps: 0 };
  for (const tid of tids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const ticks = cpuTicks(stat);
    const sleeps = voluntarySwitches(pid, tid);
    if (tid === String(pid)) {
      used.main += ticks * TICK_US;
      used.mainSleeps += sleeps;
    } else {
      used.others += ticks * TICK_US;
      used.otherSleeps += sleeps;
    }
  }
  return used;
}

/** CPU µs so far of a whole process, its threads that ended included; undefined if unreadable. */
export function processCpu(pid) {
  try {
    return cpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * TICK_US;
  } catch {
    return undefined;
  }
}

/** utime + stime of a stat line. */
function cpuTicks(stat) {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function voluntarySwitches(pid, tid) {
  try {
    return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // the thread ended meanwhile
  }
}

/** CPU µs and sleeps per item between two readings of threadCpu (threads that ended in between are lost). */
export function cpuPerItem(before, after, items) {
  if (!before || !after || items <= 0) return undefined;
  const per = (field) => (after[field] - before[field]) / items;
  return { main: per('main'), others: per('others'), total: per('main') + per('others'), mainSleeps: per('mainSleeps'), otherSleeps: per('otherSleeps') };
}

/**
 * TCP connections this machine has accepted so far (Linux's PassiveOpens, /proc/net/snmp), all
 * processes together; undefined if unreadable. Over a bench:e2e run the clients keep theirs
 * open, so what it counts is mostly the API server opening new connections to the webhook.
 */
export function acceptedConnections() {
  try {
    const [names, values] = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('Tcp:'))
      .map((line) => line.trim().split(/\s+/));
    const value = Number(values?.[names.indexOf('PassiveOpens')]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
