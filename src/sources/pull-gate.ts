/**
 * Bounds how many pulls (download, decompression, unpacking) run at once, so that many policies
 * loading together hold at most that many layers and their text in flight. Waiting pulls take
 * turns by namespace: the next to start is the oldest waiter of the namespace that started a
 * pull least recently, so one tenant's many policies cannot keep another tenant's waiting.
 */
export class PullGate {
  private running = 0;
  private readonly waiting = new Map<string, (() => void)[]>();
  /** When each namespace last started a pull (a counter, not a clock). */
  private readonly lastStart = new Map<string, number>();
  private starts = 0;

  constructor(readonly concurrency: number) {}

  async run<T>(namespace: string, work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(namespace) ?? [];
        queue.push(resolve);
        this.waiting.set(namespace, queue);
      });
    } else {
      this.running++;
    }
    this.lastStart.set(namespace, ++this.starts);
    try {
      return await work();
    } finally {
      // A namespace with nobody waiting needs no turn record (and the map stays as small as the queue).
      if (!this.waiting.has(namespace)) this.lastStart.delete(namespace);
      this.next();
    }
  }

  /** Hands the finished pull's slot to the next waiter (the slot stays taken), or frees it. */
  private next(): void {
    let chosen: string | undefined;
    for (const namespace of this.waiting.keys()) {
      if (chosen === undefined || (this.lastStart.get(namespace) ?? 0) < (this.lastStart.get(chosen) ?? 0)) chosen = namespace;
    }
    if (chosen === undefined) {
      this.running--;
      return;
    }
    const queue = this.waiting.get(chosen)!;
    const resolve = queue.shift()!;
    if (queue.length === 0) this.waiting.delete(chosen);
    resolve();
  }
}
