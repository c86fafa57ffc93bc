import { describe, expect, it } from '@jest/globals';
import { InFlightTracker } from './in-flight.js';

describe('InFlightTracker', () => {
  it('counts a body being received for shutdown, but not against the review limit', async () => {
    const tracker = new InFlightTracker();
    const received = tracker.startReceiving();
    expect(tracker.size).toBe(0);
    expect(tracker.receiving).toBe(1);
    expect(tracker.pending).toBe(1);
    expect(await tracker.waitForIdle(20)).toBe(false);

    // The body is complete: the review is evaluated; shutdown keeps waiting.
    const finished = tracker.start();
    received.done();
    expect(tracker.size).toBe(1);
    expect(tracker.receiving).toBe(0);
    const idle = tracker.waitForIdle(5_000);
    finished();
    expect(await idle).toBe(true);
    expect(tracker.pending).toBe(0);
  });

  it('wakes shutdown once the last body being received is given up', async () => {
    const tracker = new InFlightTracker();
    const first = tracker.startReceiving();
    const second = tracker.startReceiving();
    const idle = tracker.waitForIdle(5_000);
    first.done();
    first.done(); // a second call is harmless
    expect(tracker.receiving).toBe(1);
    second.done();
    expect(await idle).toBe(true);
  });

  it("keeps a complete body's bytes counted while its review is evaluated, and releases them once", () => {
    const tracker = new InFlightTracker();
    const body = tracker.startReceiving();
    body.add(1000);
    const finished = tracker.start();
    body.received();
    expect(tracker.receiving).toBe(0);
    expect(tracker.receivingBytes).toBe(1000);
    body.add(5); // nothing arrives after the end
    body.done();
    body.done();
    finished();
    expect(tracker.receivingBytes).toBe(0);
    expect(tracker.pending).toBe(0);
  });
});
