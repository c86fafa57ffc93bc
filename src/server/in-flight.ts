/**
 * Counts admission requests being handled, so shutdown can wait for them to finish. Two kinds:
 * a review being evaluated (its body complete; what `--max-in-flight` limits) and a body still
 * being received (which must not hold a review slot: a client that sends headers and then
 * withholds its body would otherwise block every review). Shutdown waits for both.
 */

/**
 * A body being received: the bytes read so far; `received` when it is complete (no longer
 * arriving, though its bytes are still held while the review is evaluated); `done` when it is
 * let go (answered, refused or given up), which releases its bytes.
 */
export interface Receiving {
  add(bytes: number): void;
  /** Idempotent. */
  received(): void;
  /** Idempotent; implies received. */
  done(): void;
}

export class InFlightTracker {
  private evaluating = 0;
  private bodies = 0;
  private bodyBytes = 0;
  private waiters: Array<() => void> = [];

  /** Reviews being evaluated: what counts against `--max-in-flight`. */
  get size(): number {
    return this.evaluating;
  }

  /** Bodies still being received. */
  get receiving(): number {
    return this.bodies;
  }

  /** Bytes held by bodies: those still being received and those of reviews being evaluated. */
  get receivingBytes(): number {
    return this.bodyBytes;
  }

  /** Everything shutdown waits for: reviews being evaluated and bodies being received. */
  get pending(): number {
    return this.evaluating + this.bodies;
  }

  /** A review is evaluated; call the result when it is answered. Idempotent. */
  start(): () => void {
    this.evaluating++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.evaluating--;
      this.settled();
    };
  }

  /** A body starts arriving. It does not count against the review limit. */
  startReceiving(): Receiving {
    this.bodies++;
    let held = 0;
    let arriving = true;
    let released = false;
    const received = (): void => {
      if (!arriving) return;
      arriving = false;
      this.bodies--;
      this.settled();
    };
    return {
      add: (bytes) => {
        if (!arriving) return;
        held += bytes;
        this.bodyBytes += bytes;
      },
      received,
      done: () => {
        if (released) return;
        released = true;
        this.bodyBytes -= held;
        received();
      },
    };
  }

  /** Resolves true once nothing is pending, or false when timeoutMs passes first. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(wake);
    });
  }

  private settled(): void {
    if (this.pending !== 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
