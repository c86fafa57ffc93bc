/**
 * The two metrics every admission review updates once per policy run: evaluations by policy and
 * result, and their durations by policy. prom-client's Counter and Histogram hash the label set,
 * check it and (a histogram) look the bucket up by a number-keyed property on every update,
 * through bound children too: about 0.8 µs per policy run (with 10 policies some 3 of the 7-8 µs
 * per review that prom-client's code took on the main thread under load; docs/performance.md).
 * Here a series is bound once and an update is a few additions (about 80 ns).
 *
 * Both are metrics to prom-client's Registry (name, help, type, aggregator, `get()`), and they
 * return what prom-client's Counter and Histogram return for the same updates, down to the order
 * of keys, so /metrics shows the same text and getMetricsAsJSON the same JSON
 * (policy-metrics.test.ts compares them).
 */
import type { Registry } from 'prom-client';

export interface PolicyMetricConfig {
  readonly name: string;
  readonly help: string;
  readonly registers: readonly Registry[];
}

interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  readonly values: readonly object[];
}

abstract class PolicyMetric<S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  abstract readonly type: string;
  /** Series by key, in the order they were first updated (prom-client's order too). */
  protected readonly series = new Map<string, S>();

  constructor(config: PolicyMetricConfig) {
    this.name = config.name;
    this.help = config.help;
    // A Registry takes any object with a name and get(); prom-client's own metrics are such objects.
    for (const registry of config.registers) registry.registerMetric(this as never);
  }

  reset(): void {
    this.series.clear();
  }

  abstract get(): Promise<MetricSnapshot>;
}

interface CounterSeries {
  value: number;
  readonly labels: { readonly policy: string; readonly result: string };
}

/** A counter labelled `policy` and `result`. */
export class PolicyResultCounter extends PolicyMetric<CounterSeries> {
  readonly type = 'counter';

  /** The function that counts one policy's results of one kind; bind once per policy and result. */
  bind(policy: string, result: string): () => void {
    const key = `${policy}\n${result}`;
    return () => {
      // Looked up per call: `remove` may have dropped the series since the bind.
      const series = this.series.get(key);
      if (series) series.value += 1;
      else this.series.set(key, { value: 1, labels: { policy, result } });
    };
  }

  remove(policy: string, result: string): void {
    this.series.delete(`${policy}\n${result}`);
  }

  get(): Promise<MetricSnapshot> {
    return Promise.resolve({ help: this.help, name: this.name, type: this.type, values: [...this.series.values()], aggregator: this.aggregator });
  }
}

interface HistogramSeries {
  readonly labels: { readonly policy: string };
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram labelled `policy`. */
export class PolicyHistogram extends PolicyMetric<HistogramSeries> {
  readonly type = 'histogram';
  private readonly bounds: Float64Array;

  constructor(config: PolicyMetricConfig & { readonly buckets: readonly number[] }) {
    super(config);
    this.bounds = Float64Array.from(config.buckets);
  }

  /** The function that observes one policy's durations (seconds); bind once per policy. */
  bind(policy: string): (seconds: number) => void {
    const bounds = this.bounds;
    return (seconds) => {
      // prom-client refuses such a value with an exception; a metric must not fail a review.
      if (!Number.isFinite(seconds)) return;
      let series = this.series.get(policy);
      if (!series) {
        series = { labels: { policy }, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
        this.series.set(policy, series);
      }
      let slot = 0;
      while (slot < bounds.length && seconds > bounds[slot]!) slot++;
      series.counts[slot]! += 1;
      series.sum += seconds;
      series.count += 1;
    };
  }

  remove(policy: string): void {
    this.series.delete(policy);
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
