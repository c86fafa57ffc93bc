/**
 * How many policy workers a process starts when `--workers` is not given: one per CPU it may use,
 * 2 to 8, and no more than its memory limit holds (but never fewer than 2, which keep one slow
 * policy from holding every worker; the start-up warning then says what to change).
 *
 * In a container, Node's availableParallelism() counts the node's CPUs, not the container's CPU
 * limit, and nothing in the process knows its memory limit. Each worker may grow to its heap cap,
 * so eight workers on a large node, in a Pod limited to 512 MiB, could together pass the limit:
 * the kernel would then kill the whole container, every tenant's reviews with it, for one
 * policy's allocation, which the heap cap exists to contain. So the default reads the container's
 * limits from its cgroup (v2 `cpu.max` and `memory.max`, or v1's `cpu.cfs_quota_us` and
 * `memory.limit_in_bytes`), once, at start-up.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** What the main thread takes besides the workers: reviews in flight, caches, V8 (measured ~100 MiB). */
export const MAIN_THREAD_MIB = 100;
/** What a worker takes besides its heap cap: its young generation, code, V8's own (~30 MiB). */
export const WORKER_OVERHEAD_MIB = 30;
export const MIN_DEFAULT_WORKERS = 2;
export const MAX_DEFAULT_WORKERS = 8;

const MIB = 1024 * 1024;

/** The container's limits, as far as its cgroup tells; absent where there is none. */
export interface ContainerLimits {
  /** CPUs the quota allows (1.5 for `150000 100000`). */
  readonly cpus?: number;
  readonly memoryBytes?: number;
}

export interface PoolSize {
  readonly workers: number;
  /** Why that many, for the start-up line. */
  readonly reason: string;
}

/** Memory the process may need at most: the main thread and every worker at its heap cap. */
export function memoryBudgetMib(workers: number, heapMb: number): number {
  return MAIN_THREAD_MIB + workers * (heapMb + WORKER_OVERHEAD_MIB);
}

/** The default pool size for these CPUs and limits (pure: containerLimits() reads them). */
export function defaultPoolSize(heapMb: number, limits: ContainerLimits = {}, cpus: number = availableParallelism()): PoolSize {
  const usable = limits.cpus === undefined ? cpus : Math.min(cpus, Math.ceil(limits.cpus));
  const byCpu = Math.min(MAX_DEFAULT_WORKERS, Math.max(MIN_DEFAULT_WORKERS, usable));
  const cpuReason = limits.cpus !== undefined && limits.cpus < cpus ? `the container's CPU limit of ${limits.cpus}` : `${cpus} CPUs`;
  if (limits.memoryBytes === undefined) return { workers: byCpu, reason: `from ${cpuReason}` };
  const limitMib = Math.floor(limits.memoryBytes / MIB);
  const fitting = Math.floor((limitMib - MAIN_THREAD_MIB) / (heapMb + WORKER_OVERHEAD_MIB));
  if (fitting >= byCpu) return { workers: byCpu, reason: `from ${cpuReason}; they fit the container's memory limit of ${limitMib} MiB` };
  if (fitting >= MIN_DEFAULT_WORKERS) {
    return { workers: fitting, reason: `as many as fit the container's memory limit of ${limitMib} MiB at ${heapMb} MiB of heap each (${cpuReason} would allow ${byCpu})` };
  }
  // Fewer than two would let one slow policy hold every worker; memoryWarning says what to change.
  return { workers: MIN_DEFAULT_WORKERS, reason: `the fewest kclguard runs by default, although the container's memory limit of ${limitMib} MiB fits fewer at ${heapMb} MiB of heap each` };
}

/**
 * When `--workers` is given and the workers at their heap caps would not fit the container's
 * memory limit: the warning to log, else undefined.
 */
export function memoryWarning(workers: number, heapMb: number, limits: ContainerLimits): string | undefined {
  if (limits.memoryBytes === undefined) return undefined;
  const limitMib = Math.floor(limits.memoryBytes / MIB);
  const budget = memoryBudgetMib(workers, heapMb);
  if (budget <= limitMib) return undefined;
  return `${workers} policy workers at ${heapMb} MiB of heap each may need about ${budget} MiB, more than the container's memory limit of ${limitMib} MiB: policies that use their heap caps at once could get the whole container killed. Lower --workers or --worker-heap-mb, or raise the limit`;
}

type ReadText = (path: string) => string | undefined;

const readIfThere: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * cgroup v1 reports "no limit" as a huge number rounded to the page size, not as a word; anything
 * at or above this is no limit (1 PiB: no container is given that much).
 */
const V1_UNLIMITED_BYTES = 2 ** 50;

/**
 * The limits of the cgroup this process runs in (its container's), from /sys/fs/cgroup. With a
 * cgroup namespace (containerd's default on cgroup v2) that is the root of the tree the container
 * sees; without one, the v2 files are under the path /proc/self/cgroup names. cgroup v1 runtimes
 * mount the container's own directory of each controller.
 */
export function containerLimits(read: ReadText = readIfThere, root = '/sys/fs/cgroup', ownCgroup = '/proc/self/cgroup'): ContainerLimits {
  const v2 = v2Directory(read(ownCgroup), root);
  const cpus = cgroupV2Cpus(read(`${v2}/cpu.max`)) ?? cgroupV1Cpus(read(`${root}/cpu/cpu.cfs_quota_us`), read(`${root}/cpu/cpu.cfs_period_us`));
  const memoryBytes = cgroupV2Memory(read(`${v2}/memory.max`)) ?? cgroupV1Memory(read(`${root}/memory/memory.limit_in_bytes`));
  return { ...(cpus !== undefined ? { cpus } : {}), ...(memoryBytes !== undefined ? { memoryBytes } : {}) };
}

/** The process's cgroup v2 directory: the path of the `0::` line of /proc/self/cgroup under `root`. */
function v2Directory(cgroups: string | undefined, root: string): string {
  const path = /^0::(\/\S*)$/m.exec(cgroups ?? '')?.[1];
  return path === undefined || path === '/' || path.includes('..') ? root : `${root}${path}`;
}

/** `cpu.max`: "<quota> <period>" in µs, or "max <period>" for no limit. */
function cgroupV2Cpus(text: string | undefined): number | undefined {
  const [quota, period] = (text ?? '').trim().split(/\s+/);
  return cpusOf(Number(quota), Number(period));
}

/** v1: the quota in µs per period, -1 for no limit. */
function cgroupV1Cpus(quota: string | undefined, period: string | undefined): number | undefined {
  return quota === undefined || period === undefined ? undefined : cpusOf(Number(quota.trim()), Number(period.trim()));
}

function cpusOf(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && quota > 0 && Number.isFinite(period) && period > 0 ? quota / period : undefined;
}

/** `memory.max`: bytes, or "max" for no limit. */
function cgroupV2Memory(text: string | undefined): number | undefined {
  const bytes = Number((text ?? '').trim());
  return text !== undefined && Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

function cgroupV1Memory(text: string | undefined): number | undefined {
  const bytes = Number((text ?? '').trim());
  return text !== undefined && Number.isFinite(bytes) && bytes > 0 && bytes < V1_UNLIMITED_BYTES ? bytes : undefined;
}
