/**
 * The worker pool's default size: CPUs and the container's limits, read from cgroup files
 * (fixtures for both cgroup versions; the Chainsaw scenario replicaset-pods reads a real container's).
 */
import { describe, expect, it } from '@jest/globals';
import { containerLimits, defaultPoolSize, memoryBudgetMib, memoryWarning } from './pool-size.js';

const MIB = 1024 * 1024;

/** A cgroup tree of fixture files under /cg. */
function files(entries: Record<string, string>): (path: string) => string | undefined {
  return (path) => entries[path];
}

describe('containerLimits', () => {
  it('reads cgroup v2: cpu.max and memory.max', () => {
    expect(containerLimits(files({ '/cg/cpu.max': '150000 100000\n', '/cg/memory.max': '536870912\n' }), '/cg')).toEqual({ cpus: 1.5, memoryBytes: 512 * MIB });
  });

  it('reads cgroup v2 under the path /proc/self/cgroup names (no cgroup namespace), the root with one', () => {
    const tree = files({
      '/proc/cg': '0::/kubepods.slice/pod1/cri-abc\n',
      '/cg/kubepods.slice/pod1/cri-abc/memory.max': '268435456\n',
      '/cg/kubepods.slice/pod1/cri-abc/cpu.max': '50000 100000\n',
      '/cg/memory.max': 'max\n',
    });
    expect(containerLimits(tree, '/cg', '/proc/cg')).toEqual({ cpus: 0.5, memoryBytes: 256 * MIB });
    const namespaced = files({ '/proc/cg': '0::/\n', '/cg/memory.max': '536870912\n' });
    expect(containerLimits(namespaced, '/cg', '/proc/cg')).toEqual({ memoryBytes: 512 * MIB });
  });

  it('takes the lowest limit of the cgroup and the ancestors it can see (a Pod-level or slice limit binds too)', () => {
    const tree = files({
      '/proc/cg': '0::/kubepods.slice/pod1/cri-abc\n',
      '/cg/kubepods.slice/pod1/cri-abc/memory.max': 'max\n',
      '/cg/kubepods.slice/pod1/cri-abc/cpu.max': 'max 100000\n',
      '/cg/kubepods.slice/pod1/memory.max': '402653184\n',
      '/cg/kubepods.slice/pod1/cpu.max': '300000 100000\n',
      '/cg/kubepods.slice/memory.max': '8589934592\n',
    });
    expect(containerLimits(tree, '/cg', '/proc/cg')).toEqual({ cpus: 3, memoryBytes: 384 * MIB });
  });

  it('reads cgroup v1 under the controller paths /proc/self/cgroup names, and memory.stat\'s hierarchical limit', () => {
    const v1 = files({
      '/proc/cg': '4:memory:/system.slice/kclguard.service\n2:cpu,cpuacct:/system.slice/kclguard.service\n0::/system.slice/kclguard.service\n',
      '/cg/memory/system.slice/kclguard.service/memory.limit_in_bytes': '9223372036854771712\n',
      '/cg/memory/system.slice/kclguard.service/memory.stat': 'cache 0\nhierarchical_memory_limit 805306368\nrss 0\n',
      '/cg/memory/memory.limit_in_bytes': '9223372036854771712\n',
      '/cg/cpu/system.slice/kclguard.service/cpu.cfs_quota_us': '-1\n',
      '/cg/cpu/system.slice/kclguard.service/cpu.cfs_period_us': '100000\n',
      '/cg/cpu/system.slice/cpu.cfs_quota_us': '400000\n',
      '/cg/cpu/system.slice/cpu.cfs_period_us': '100000\n',
    });
    expect(containerLimits(v1, '/cg', '/proc/cg')).toEqual({ cpus: 4, memoryBytes: 768 * MIB });
  });

  it('on a hybrid hierarchy (v1 controllers, v2 only for tracking) reads the v1 controllers', () => {
    const hybrid = files({
      '/proc/cg': '4:memory:/\n1:cpu:/\n0::/user.slice\n',
      '/cg/memory/memory.limit_in_bytes': '1073741824\n',
    });
    expect(containerLimits(hybrid, '/cg', '/proc/cg')).toEqual({ memoryBytes: 1024 * MIB });
  });

  it('reads cgroup v2 without limits ("max") as none', () => {
    expect(containerLimits(files({ '/cg/cpu.max': 'max 100000\n', '/cg/memory.max': 'max\n' }), '/cg')).toEqual({});
  });

  it('reads cgroup v1: the CFS quota and period, and memory.limit_in_bytes', () => {
    const v1 = files({
      '/cg/cpu/cpu.cfs_quota_us': '200000\n',
      '/cg/cpu/cpu.cfs_period_us': '100000\n',
      '/cg/memory/memory.limit_in_bytes': '1073741824\n',
    });
    expect(containerLimits(v1, '/cg')).toEqual({ cpus: 2, memoryBytes: 1024 * MIB });
  });

  it('reads cgroup v1 without limits (quota -1, the page-rounded maximum) as none', () => {
    const v1 = files({
      '/cg/cpu/cpu.cfs_quota_us': '-1\n',
      '/cg/cpu/cpu.cfs_period_us': '100000\n',
      '/cg/memory/memory.limit_in_bytes': '9223372036854771712\n',
    });
    expect(containerLimits(v1, '/cg')).toEqual({});
  });

  it('finds nothing where there are no cgroup files, and ignores what it cannot read as a number', () => {
    expect(containerLimits(files({}), '/cg')).toEqual({});
    expect(containerLimits(files({ '/cg/cpu.max': 'garbage', '/cg/memory.max': '' }), '/cg')).toEqual({});
  });

});

describe('defaultPoolSize', () => {
  it('is one worker per CPU, at least 2 and at most 8, without limits', () => {
    expect(defaultPoolSize(128, {}, 1).workers).toBe(2);
    expect(defaultPoolSize(128, {}, 4)).toEqual({ workers: 4, reason: 'from 4 CPUs' });
    expect(defaultPoolSize(128, {}, 64).workers).toBe(8);
  });

  it('counts the CPUs of the container\'s CPU limit, rounded up, not the node\'s', () => {
    expect(defaultPoolSize(128, { cpus: 1.5 }, 32)).toEqual({ workers: 2, reason: "from the container's CPU limit of 1.5" });
    expect(defaultPoolSize(128, { cpus: 3.2 }, 32).workers).toBe(4);
    // A limit above the CPUs there are changes nothing.
    expect(defaultPoolSize(128, { cpus: 16 }, 4).workers).toBe(4);
  });

  it('starts no more workers than the memory limit holds at their heap caps', () => {
    // The chart's defaults: 512 MiB, 128 MiB heaps (+ 32 young + 24): 100 + 2 x 184 = 468 fits, 3 x 184 does not.
    const chart = defaultPoolSize(128, { memoryBytes: 512 * MIB }, 16);
    expect(chart.workers).toBe(2);
    expect(chart.reason).toContain("memory limit of 512 MiB");
    expect(memoryBudgetMib(chart.workers, 128)).toBeLessThanOrEqual(512);
    expect(defaultPoolSize(128, { memoryBytes: 1024 * MIB }, 16).workers).toBe(5);
    expect(defaultPoolSize(256, { memoryBytes: 2048 * MIB }, 16).workers).toBe(6);
    // Room for more than the CPUs: the CPUs decide.
    expect(defaultPoolSize(128, { memoryBytes: 8192 * MIB }, 4)).toEqual({ workers: 4, reason: "from 4 CPUs; they fit the container's memory limit of 8192 MiB" });
  });

  it('keeps 2 workers where the memory limit holds fewer (and memoryWarning then says so)', () => {
    const tight = defaultPoolSize(128, { memoryBytes: 256 * MIB }, 8);
    expect(tight.workers).toBe(2);
    expect(tight.reason).toContain('fits fewer');
    expect(memoryWarning(tight.workers, 128, { memoryBytes: 256 * MIB })).toContain('468 MiB');
  });
});

describe('memoryWarning', () => {
  it('warns when the workers at their heap caps may pass the memory limit', () => {
    expect(memoryWarning(8, 128, { memoryBytes: 512 * MIB })).toMatch(/8 policy workers .* about 1572 MiB, more than the container's memory limit of 512 MiB/);
  });

  it('is silent when they fit, or when there is no limit', () => {
    expect(memoryWarning(2, 128, { memoryBytes: 512 * MIB })).toBeUndefined();
    expect(memoryWarning(64, 16384, {})).toBeUndefined();
  });
});
