/**
 * The metrics every admission review updates: reviews by webhook, operation and decision, their
 * durations and how many are in flight, each job's wait for a worker, and once per policy run its
 * result and duration. prom-client's Counter and Histogram hash the label set, check it and (a
 * histogram) look the bucket up by a number-keyed property on every update, through bound
 * children too: about 0.8 µs per update, which with 10 policies made some 7-8 µs per review on
 * the main thread under load (docs/performance.md). Here a series is bound once per label set
 * and an update is a few additions (about 80 ns).
 *
 * Each is a metric to prom-client's Registry (name, help, type, aggregator, `get()`), and returns
 * what prom-client's Counter, Histogram and Gauge return for the same updates, down to the order
 * of keys, so /metrics shows the same text and getMetricsAsJSON the same JSON
 * (bound-metrics.test.ts compares them).
 */
import type { Registry } from 'prom-client';

export interface BoundMetricConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: readonly Registry[];
}

/** A series' label values, in the key order the caller gives them (prom-client shows that order). */
export type Labels<L extends string> = { readonly [K in L]: string };

interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  readonly values: readonly object[];
}

abstract class BoundMetric<L extends string, S extends { readonly labels: Labels<L> }> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  abstract readonly type: string;
  /** Series by key, in the order they were first updated (prom-client's order too). */
  protected readonly series = new Map<string, S>();
  private readonly labelNames: readonly L[];

  constructor(config: BoundMetricConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    // A Registry takes any object with a name and get(); prom-client's own metrics are such objects.
    for (const registry of config.registers) registry.registerMetric(this as never);
  }

  /** Removes the series of these label values, as prom-client's `remove`; a bound update brings it back. */
  remove(labels: Labels<L>): void {
    this.series.delete(this.keyOf(labels));
  }

  reset(): void {
    this.series.clear();
  }

  abstract get(): Promise<MetricSnapshot>;

  /**
   * The series' key and its own copy of the labels. Called when binding, never per update. Label
   * names outside the metric's are a bug in kclguard, refused as prom-client refuses them.
   */
  protected seriesOf(labels: Labels<L>): { key: string; labels: Labels<L> } {
    const names = Object.keys(labels);
    const unknown = names.find((name) => !this.labelNames.includes(name as L));
    if (unknown !== undefined || names.length !== this.labelNames.length) {
      throw new Error(`${this.name}: labels ${names.join(', ')} do not match ${this.labelNames.join(', ')}`);
    }
    return { key: this.keyOf(labels), labels: Object.freeze({ ...labels }) };
  }

  private keyOf(labels: Labels<L>): string {
    return JSON.stringify(this.labelNames.map((name) => labels[name]));
  }
}

interface CounterSeries<L extends string> {
  value: number;
  readonly labels: Labels<L>;
}

/** A counter whose series are bound once; `bind` returns the function that adds one. */
export class BoundCounter<L extends string> extends BoundMetric<L, CounterSeries<L>> {
  readonly type = 'counter';

  bind(labels: Labels<L>): () => void {
    const { key, labels: own } = this.seriesOf(labels);
    return () => {
      // Looked up per call: `remove` may have dropped the series since the bind.
      const series = this.series.get(key);
      if (series) series.value += 1;
      else this.series.set(key, { value: 1, labels: own });
    };
  }

  get(): Promise<MetricSnapshot> {
    return Promise.resolve({ help: this.help, name: this.name, type: this.type, values: [...this.series.values()], aggregator: this.aggregator });
  }
}

interface HistogramSeries<L extends string> {
  readonly labels: Labels<L>;
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram whose series are bound once; `bind` returns the function that observes (seconds). */
export class BoundHistogram<L extends string> extends BoundMetric<L, HistogramSeries<L>> {
  readonly type = 'histogram';
  private readonly bounds: Float64Array;

  constructor(config: BoundMetricConfig<L> & { readonly buckets: readonly number[] }) {
    super(config);
    this.bounds = Float64Array.from(config.buckets);
  }

  bind(labels: Labels<L>): (seconds: number) => void {
    const { key, labels: own } = this.seriesOf(labels);
    const bounds = this.bounds;
    return (seconds) => {
      // prom-client refuses such a value with an exception; a metric must not fail a review.
      if (!Number.isFinite(seconds)) return;
      let series = this.series.get(key);
      if (!series) {
        series = { labels: own, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
        this.series.set(key, series);
      }
      let slot = 0;
      while (slot < bounds.length && seconds > bounds[slot]!) slot++;
      series.counts[slot]! += 1;
      series.sum += seconds;
      series.count += 1;
    };
  }

  /**
   * As prom-client's Histogram, for the text exposition: per series its buckets (cumulative),
   * +Inf, sum and count, the series' own labels apart (`sharedLabels`).
   */
  getForPromString(): Promise<MetricSnapshot> {
    return Promise.resolve(this.snapshot(false));
  }

  /** As prom-client's Histogram.get(): the same values with every label in `labels`. */
  get(): Promise<MetricSnapshot> {
    return Promise.resolve(this.snapshot(true));
  }

  private snapshot(splay: boolean): MetricSnapshot {
    const values: object[] = [];
    const bucket = `${this.name}_bucket`;
    const value = (labels: object, shared: object, v: number, metricName: string, exemplar: null | undefined): object =>
      splay ? { value: v, metricName, exemplar, labels: Object.assign(labels, shared) } : { labels, sharedLabels: shared, value: v, metricName, exemplar };
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += counts[i]!;
        values.push(value({ le: this.bounds[i] }, labels, cumulative, bucket, null));
      }
      values.push(value({ le: '+Inf' }, labels, count, bucket, null));
      values.push(value({}, labels, sum, `${this.name}_sum`, undefined));
      values.push(value({}, labels, count, `${this.name}_count`, undefined));
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

/** A gauge without labels that counts up and down, as prom-client's unlabelled Gauge shows it. */
export class CountGauge {
  readonly name: string;
  readonly help: string;
  readonly type = 'gauge';
  readonly aggregator = 'sum';
  private value = 0;

  constructor(config: Omit<BoundMetricConfig<never>, 'labelNames'>) {
    this.name = config.name;
    this.help = config.help;
    for (const registry of config.registers) registry.registerMetric(this as never);
  }

  inc(): void {
    this.value += 1;
  }

  dec(): void {
    this.value -= 1;
  }

  reset(): void {
    this.value = 0;
  }

  get(): Promise<MetricSnapshot> {
    return Promise.resolve({ help: this.help, name: this.name, type: this.type, values: [{ value: this.value, labels: {} }], aggregator: this.aggregator });
  }
}
