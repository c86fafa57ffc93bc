/** The progress slot's hand-over of waiting jobs: each offered job is won by exactly one side. */
import { describe, expect, it } from '@jest/globals';
import { createProgressBuffer, MAX_OFFERS, offerWaiting, progressSlot, progressWriter, takeWaiting } from './progress.js';

describe('waiting jobs in the progress slot', () => {
  it('holds MAX_OFFERS offers at once, each taken by the worker or the pool, never both', () => {
    const buffer = createProgressBuffer();
    const pool = progressSlot(buffer);
    const worker = progressWriter(buffer, 0);
    const ids = Array.from({ length: MAX_OFFERS }, (_, i) => 10 + i);
    for (const id of ids) offerWaiting(pool, id);
    expect(() => offerWaiting(pool, 99)).toThrow(/waiting jobs already/);
    expect(worker.claim(ids[1]!)).toBe(true);
    expect(takeWaiting(pool, ids[1]!)).toBe(false);
    expect(takeWaiting(pool, ids[2]!)).toBe(true);
    expect(worker.claim(ids[2]!)).toBe(false);
    // Freed fields take new offers.
    offerWaiting(pool, 20);
    offerWaiting(pool, 21);
    expect(worker.claim(21)).toBe(true);
    expect(worker.claim(20)).toBe(true);
    expect(worker.claim(ids[0]!)).toBe(true);
    expect(takeWaiting(pool, ids[3]!)).toBe(true);
    expect(worker.claim(12345)).toBe(false);
  });
});
