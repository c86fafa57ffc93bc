/**
 * At most one log line per interval for an event a client can repeat at will (a request refused
 * with 429 costs the client nothing). The first event of a quiet interval is written at once;
 * the ones after it within the interval are only counted, and when the interval ends the latest
 * of them is written with the count of the others, so every event is written or counted, and a
 * flood writes one line per interval. The clock is monotonic: a wall clock stepped back would
 * keep every line suppressed for as long as it stepped.
 */
export class LogThrottle<Fields extends object> {
  private lastWrite = -Infinity;
  private suppressed = 0;
  private latest: Fields | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    /** `suppressed`: events since the previous line, other than this one, that were not written. */
    private readonly write: (fields: Fields, suppressed: number) => void,
  ) {}

  hit(fields: Fields): void {
    const now = performance.now();
    if (this.timer === undefined && now - this.lastWrite >= this.intervalMs) {
      this.lastWrite = now;
      this.write(fields, 0);
      return;
    }
    this.suppressed++;
    this.latest = fields;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, this.lastWrite + this.intervalMs - now));
      this.timer.unref();
    }
  }

  private flush(): void {
    this.timer = undefined;
    if (this.suppressed === 0 || this.latest === undefined) return;
    const suppressed = this.suppressed - 1;
    const fields = this.latest;
    this.suppressed = 0;
    this.latest = undefined;
    this.lastWrite = performance.now();
    this.write(fields, suppressed);
  }
}
