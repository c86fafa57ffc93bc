/**
 * The source text kclguard holds for its policies (oci:// packages and their dependencies, each
 * package once), against its budget (`--source-memory-mb`): a policy that would go over fails to
 * load with S3004, so the ratio of the two gauges is what an alert watches. Read at each scrape;
 * nothing is updated on the request path.
 */
import { Gauge } from 'prom-client';
import type { Metrics } from './metrics.js';

export function observeSourceText(metrics: Metrics, heldBytes: () => number, budgetBytes: number): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'kclguard_source_text_bytes',
    help: 'Source text held for the policies (oci:// packages and dependencies, each package once), bytes as held in memory.',
    registers,
    collect() {
      this.set(heldBytes());
    },
  });
  new Gauge({
    name: 'kclguard_source_text_budget_bytes',
    help: "The KCLRuns' budget of kclguard_source_text_bytes (--source-memory-mb); a KCLRun that would go over fails to load (S3004). The ClusterKCLRuns' text has a share of its own beyond it (--source-namespace-memory-mb).",
    registers,
  }).set(budgetBytes);
}
