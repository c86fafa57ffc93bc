/**
 * The benches' stall probe (scripts/bench/stalls.mjs): its summary of the gaps and, on a short
 * run, that the spinning threads report only gaps above the threshold.
 */
import { describe, expect, test } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Summary {
  threads: number;
  lostShare: number;
  over1msPerSecond: number;
  longest: number[];
}
interface StallsModule {
  GAP_MS: number;
  spinGaps(seconds: number, threads?: number): Promise<number[][]>;
  summarizeGaps(gaps: number[][], seconds: number): Summary;
  describeStalls(summary: Summary): string;
}

const STALLS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'bench', 'stalls.mjs');
const load = (): Promise<StallsModule> => import(pathToFileURL(STALLS).href) as Promise<StallsModule>;

describe('stall probe', () => {
  test('sums what the threads lost, counts the gaps over 1 ms per thread-second, keeps the five longest', async () => {
    const { summarizeGaps } = await load();
    const summary = summarizeGaps(
      [
        [0.2, 3, 1.5],
        [0.5, 8, 0.3, 2, 1.2],
      ],
      2,
    );
    expect(summary.threads).toBe(2);
    // 16.7 ms lost out of 2 threads x 2 s.
    expect(summary.lostShare).toBeCloseTo(16.7 / 4000, 10);
    // 3, 1.5, 8, 2, 1.2: five gaps over 1 ms in 4 thread-seconds.
    expect(summary.over1msPerSecond).toBeCloseTo(5 / 4, 10);
    expect(summary.longest).toEqual([8, 3, 2, 1.5, 1.2]);
  });

  test('a machine that never stalled', async () => {
    const { summarizeGaps, describeStalls } = await load();
    const summary = summarizeGaps([[], []], 3);
    expect(summary).toEqual({ threads: 2, lostShare: 0, over1msPerSecond: 0, longest: [] });
    expect(describeStalls(summary)).toContain('longest gaps ms: none');
  });

  test('spinning threads report only gaps above the threshold', async () => {
    const { spinGaps, GAP_MS } = await load();
    const gaps = await spinGaps(0.2, 1);
    expect(gaps).toHaveLength(1);
    for (const gap of gaps[0]!) expect(gap).toBeGreaterThan(GAP_MS);
  });
});
