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
 * limits from its cgroup, once, at start-up (containerLimits).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** What the main thread takes besides the workers: reviews in flight, caches, V8 (measured ~100 MiB). */
const MAIN_THREAD_MIB = 100;
/** What a worker takes besides its heap cap and young generation: code, stacks, V8's own. */
const WORKER_BASE_MIB = 24;
const MIN_DEFAULT_WORKERS = 2;
const MAX_DEFAULT_WORKERS = 8;

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

/** A worker's young generation for its heap cap (V8's resourceLimits.maxYoungGenerationSizeMb). */
export function youngGenerationMb(heapMb: number): number {
  return Math.max(4, Math.min(32, Math.floor(heapMb / 4)));
}

/** Memory one worker may take at its heap cap (a worker run out of heap at 128 MiB measured 170-171 MiB). */
function workerMemoryMib(heapMb: number): number {
  return heapMb + youngGenerationMb(heapMb) + WORKER_BASE_MIB;
}

/** Memory the process may need at most: the main thread and every worker at its heap cap. */
export function memoryBudgetMib(workers: number, heapMb: number): number {
  return MAIN_THREAD_MIB + workers * workerMemoryMib(heapMb);
}

/** The default pool size for these CPUs and limits (pure: containerLimits() reads them). */
export function defaultPoolSize(heapMb: number, limits: ContainerLimits = {}, cpus: number = availableParallelism()): PoolSize {
  const usable = limits.cpus === undefined ? cpus : Math.min(cpus, Math.ceil(limits.cpus));
  const byCpu = Math.min(MAX_DEFAULT_WORKERS, Math.max(MIN_DEFAULT_WORKERS, usable));
  const cpuReason = limits.cpus !== undefined && limits.cpus < cpus ? `the container's CPU limit of ${limits.cpus}` : `${cpus} CPUs`;
  if (limits.memoryBytes === undefined) return { workers: byCpu, reason: `from ${cpuReason}` };
  const limitMib = Math.floor(limits.memoryBytes / MIB);
  const fitting = Math.floor((limitMib - MAIN_THREAD_MIB) / workerMemoryMib(heapMb));
  if (fitting >= byCpu) return { workers: byCpu, reason: `from ${cpuReason}; they fit the container's memory limit of ${limitMib} MiB` };
  if (fitting >= MIN_DEFAULT_WORKERS) {
    return { workers: fitting, reason: `as many as fit the container's memory limit of ${limitMib} MiB at ${heapMb} MiB of heap each (${cpuReason} would allow ${byCpu})` };
  }
  // Fewer than two would let one slow policy hold every worker; memoryWarning says what to change.
  return { workers: MIN_DEFAULT_WORKERS, reason: `the fewest kclguard runs by default, although the container's memory limit of ${limitMib} MiB fits fewer at ${heapMb} MiB of heap each` };
}

/**
 * When the workers (given by --workers, or the default's minimum of 2) at their heap caps would
 * not fit the container's memory limit: the warning to log, else undefined.
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
 * The limits of the cgroup this process runs in (its container's) and of every ancestor it can
 * see, from /sys/fs/cgroup: the lowest one counts, since a limit on a parent (a Pod's, a systemd
 * slice's) binds its children too. With a cgroup namespace (containerd's default on cgroup v2) the
 * container's own cgroup is the root of the tree it sees, and its parents are not visible; without
 * one, the path /proc/self/cgroup names leads to it. cgroup v1 runtimes mount the container's own
 * directory of each controller, whose memory.stat still gives the limit its ancestors impose.
 */
export function containerLimits(read: ReadText = readIfThere, root = '/sys/fs/cgroup', ownCgroup = '/proc/self/cgroup'): ContainerLimits {
  const paths = cgroupPaths(read(ownCgroup));
  const v2 = lineage(root, paths.get(''));
  const cpuV1 = lineage(`${root}/cpu`, paths.get('cpu'));
  const memoryV1 = lineage(`${root}/memory`, paths.get('memory'));
  const cpus =
    lowest(v2.map((dir) => cgroupV2Cpus(read(`${dir}/cpu.max`)))) ??
    lowest(cpuV1.map((dir) => cgroupV1Cpus(read(`${dir}/cpu.cfs_quota_us`), read(`${dir}/cpu.cfs_period_us`))));
  const memoryBytes =
    lowest(v2.map((dir) => cgroupV2Memory(read(`${dir}/memory.max`)))) ??
    lowest(memoryV1.flatMap((dir) => [cgroupV1Memory(read(`${dir}/memory.limit_in_bytes`)), cgroupV1Memory(hierarchicalLimit(read(`${dir}/memory.stat`)))]));
  return { ...(cpus !== undefined ? { cpus } : {}), ...(memoryBytes !== undefined ? { memoryBytes } : {}) };
}

/** /proc/self/cgroup by controller: `0::/path` (v2) under '', `4:memory:/path` under 'memory'. */
function cgroupPaths(text: string | undefined): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const match = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (!match) continue;
    for (const controller of match[1]!.split(',')) paths.set(controller, match[2]!);
  }
  return paths;
}

/** `mount` and the directories of `path` below it, the process's own first: where limits may be set. */
function lineage(mount: string, path: string | undefined): string[] {
  const segments = (path ?? '/').split('/').filter((segment) => segment !== '');
  if (segments.includes('..')) return [mount];
  const dirs: string[] = [];
  for (let depth = segments.length; depth > 0; depth--) dirs.push(`${mount}/${segments.slice(0, depth).join('/')}`);
  dirs.push(mount);
  return dirs;
}

function lowest(values: readonly (number | undefined)[]): number | undefined {
  const found = values.filter((value): value is number => value !== undefined);
  return found.length === 0 ? undefined : Math.min(...found);
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

/** v1 memory.stat's `hierarchical_memory_limit`: the lowest limit of the cgroup and its ancestors. */
function hierarchicalLimit(stat: string | undefined): string | undefined {
  return /^hierarchical_memory_limit (\d+)$/m.exec(stat ?? '')?.[1];
}
