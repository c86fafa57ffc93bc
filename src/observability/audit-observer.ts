/**
 * Background audit's metrics. The audit (src/audit, a floor above) defines the observer it calls;
 * this object has that shape, so neither folder imports the other.
 */
import type { Metrics } from './metrics.js';

export function auditObserver(metrics: Metrics): {
  onAuditRun(seconds: number, objectsChecked: number, outcome: string): void;
  onAuditResults(counts: Readonly<Record<string, number>>): void;
} {
  return {
    onAuditRun(seconds, objectsChecked, outcome) {
      metrics.auditRuns.inc({ outcome });
      metrics.auditDuration.observe(seconds);
      metrics.auditObjectsChecked.inc(objectsChecked);
    },
    onAuditResults(counts) {
      for (const [result, count] of Object.entries(counts)) metrics.auditResults.set({ result }, count);
    },
  };
}
