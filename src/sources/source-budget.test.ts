// The source text budget against tenants: what namespaces hold together cannot keep an admin's
// ClusterKCLRuns from loading, and each scope stays within its share.
import { describe, expect, it } from '@jest/globals';
import { SourceError } from './errors.js';
import { SourceBudget, type HeldUnit } from './source-budget.js';

const MiB = 1024 * 1024;
const unit = (id: string, mib: number): HeldUnit => ({ id, files: {}, bytes: mib * MiB });

function codeOf(hold: () => void): string | undefined {
  try {
    hold();
    return undefined;
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    return error.code;
  }
}

describe('SourceBudget', () => {
  it('keeps a share for the ClusterKCLRuns that two namespaces at their own share cannot take', () => {
    const budget = new SourceBudget({ totalBytes: 32 * MiB, namespaceBytes: 16 * MiB });
    budget.hold('t1/a', 't1', [unit('a', 16)]);
    budget.hold('t2/b', 't2', [unit('b', 16)]);
    // The KCLRuns' total is full: a third tenant waits...
    expect(codeOf(() => budget.hold('t3/c', 't3', [unit('c', 1)]))).toBe('S3004');
    // ...and an admin's guardrail loads, within the ClusterKCLRuns' own share.
    expect(codeOf(() => budget.hold('cluster/guard', undefined, [unit('guard', 1.2)]))).toBeUndefined();
    expect(codeOf(() => budget.hold('cluster/big', undefined, [unit('big', 15)]))).toBe('S3004');
    expect(budget.heldBytes()).toBe(33.2 * MiB);
  });

  it('counts a package a ClusterKCLRun and a KCLRun share in both scopes, and once in memory', () => {
    const budget = new SourceBudget({ totalBytes: 8 * MiB, namespaceBytes: 4 * MiB });
    budget.hold('cluster/guard', undefined, [unit('k8s', 3)]);
    budget.hold('t1/a', 't1', [unit('k8s', 3)]);
    expect(budget.heldBytes()).toBe(3 * MiB);
    expect(budget.heldBytes('t1')).toBe(3 * MiB);
    expect(codeOf(() => budget.hold('t1/b', 't1', [unit('more', 2)]))).toBe('S3004');
    expect(codeOf(() => budget.hold('cluster/other', undefined, [unit('more', 2)]))).toBe('S3004');
  });
});
