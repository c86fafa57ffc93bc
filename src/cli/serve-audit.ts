/**
 * Background audit in `kclguard serve` (cluster mode): wiring only. The audit controller
 * (src/audit) follows the Lease the status writer uses — only the elected replica audits — and
 * the policy set; it reads the object caches and writes PolicyReports as kclguard itself.
 */
import { AuditController, ReportWriter, kubeReportApi } from '../audit/index.js';
import type { ClusterEngine } from '../cluster/index.js';
import { auditObserver, type Logger, type Metrics } from '../observability/index.js';
import type { ClusterConfig } from './serve-config.js';

export interface RunningAudit {
  close(): Promise<void>;
}

export function startAudit(engine: ClusterEngine, connection: ClusterConfig['connection'], audit: NonNullable<ClusterConfig['audit']>, metrics: Metrics, logger: Logger): RunningAudit {
  const { cluster } = engine;
  const controller = new AuditController({
    policies: () => engine.policies.snapshot(),
    handler: engine.backgroundHandler,
    authorizer: cluster.authorizer,
    caches: cluster.caches,
    kinds: (kind) => cluster.kinds.resourcesFor(kind),
    writer: new ReportWriter(kubeReportApi(connection.kubeConfig), logger),
    observer: auditObserver(metrics),
    logger,
    intervalMs: audit.intervalMs,
    debounceMs: audit.debounceMs,
    maxObjects: audit.maxObjects,
  });
  cluster.onPoliciesLoaded(() => controller.policiesChanged());
  cluster.onLeadership((leading) => controller.setLeading(leading));
  return { close: () => controller.stop() };
}
