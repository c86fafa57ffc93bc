import { describe, expect, it } from '@jest/globals';
import { PullGate } from './pull-gate.js';

describe('PullGate', () => {
  it('runs at most its concurrency at once, and waiting pulls take turns by namespace', async () => {
    const gate = new PullGate(2);
    const started: string[] = [];
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const pull = (namespace: string, name: string) =>
      gate.run(namespace, async () => {
        started.push(name);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
    const all = [pull('a', 'a1'), pull('a', 'a2'), pull('a', 'a3'), pull('a', 'a4'), pull('b', 'b1')];
    await Promise.resolve();
    expect(started).toEqual(['a1', 'a2']);
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(all);
    expect(most).toBe(2);
    // b1 waited behind a3 and a4 but goes first: namespace a started a pull more recently.
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
  });

  it('frees the slot when a pull fails', async () => {
    const gate = new PullGate(1);
    await expect(gate.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run('a', async () => 1)).toBe(1);
  });
});
