import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LogThrottle } from './log-throttle.js';

describe('LogThrottle', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes at most one line per interval and reports how many it left out', () => {
    const lines: Array<{ n: number; suppressed: number }> = [];
    const throttle = new LogThrottle<{ n: number }>(1_000, (fields, suppressed) => lines.push({ ...fields, suppressed }));
    for (let n = 1; n <= 100; n++) throttle.hit({ n });
    expect(lines).toEqual([{ n: 1, suppressed: 0 }]);
    // At the end of the interval the latest is written, with the count of the others left out.
    jest.advanceTimersByTime(1_000);
    expect(lines).toEqual([{ n: 1, suppressed: 0 }, { n: 100, suppressed: 98 }]);
    // Nothing more to report: no further line.
    jest.advanceTimersByTime(5_000);
    expect(lines).toHaveLength(2);
    // After a quiet interval the next one is written at once.
    throttle.hit({ n: 101 });
    expect(lines.at(-1)).toEqual({ n: 101, suppressed: 0 });
  });

  it('keeps at most one line per interval under a steady flood', () => {
    let written = 0;
    let reported = 0;
    const throttle = new LogThrottle<object>(1_000, (_fields, suppressed) => {
      written++;
      reported += 1 + suppressed;
    });
    for (let ms = 0; ms < 10_000; ms += 10) {
      throttle.hit({});
      jest.advanceTimersByTime(10);
    }
    jest.advanceTimersByTime(1_000);
    expect(written).toBeLessThanOrEqual(11);
    // Every hit is accounted for, written or counted.
    expect(reported).toBe(1_000);
  });
});
