/**
 * The worker pool's default size: CPUs and the container's limits, read from cgroup files
 * (fixtures for both cgroup versions; the real /sys/fs/cgroup of this machine last).
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

  it('reads this machine without failing (whatever its cgroups say)', () => {
    const limits = containerLimits();
    for (const value of Object.values(limits)) expect(value).toBeGreaterThan(0);
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
    // The chart's defaults: 512 MiB, 128 MiB heaps: 100 + 2 x 158 = 416 fits, 3 x 158 does not.
    const chart = defaultPoolSize(128, { memoryBytes: 512 * MIB }, 16);
    expect(chart.workers).toBe(2);
    expect(chart.reason).toContain("memory limit of 512 MiB");
    expect(memoryBudgetMib(chart.workers, 128)).toBeLessThanOrEqual(512);
    expect(defaultPoolSize(128, { memoryBytes: 1024 * MIB }, 16).workers).toBe(5);
    expect(defaultPoolSize(256, { memoryBytes: 1024 * MIB }, 16).workers).toBe(3);
    // Room for more than the CPUs: the CPUs decide.
    expect(defaultPoolSize(128, { memoryBytes: 8192 * MIB }, 4)).toEqual({ workers: 4, reason: "from 4 CPUs; they fit the container's memory limit of 8192 MiB" });
  });

  it('keeps 2 workers where the memory limit holds fewer (and memoryWarning then says so)', () => {
    const tight = defaultPoolSize(128, { memoryBytes: 256 * MIB }, 8);
    expect(tight.workers).toBe(2);
    expect(tight.reason).toContain('fits fewer');
    expect(memoryWarning(tight.workers, 128, { memoryBytes: 256 * MIB })).toContain('416 MiB');
  });
});

describe('memoryWarning', () => {
  it('warns when the workers at their heap caps may pass the memory limit', () => {
    expect(memoryWarning(8, 128, { memoryBytes: 512 * MIB })).toMatch(/8 policy workers .* about 1364 MiB, more than the container's memory limit of 512 MiB/);
  });

  it('is silent when they fit, or when there is no limit', () => {
    expect(memoryWarning(2, 128, { memoryBytes: 512 * MIB })).toBeUndefined();
    expect(memoryWarning(64, 16384, {})).toBeUndefined();
  });
});
