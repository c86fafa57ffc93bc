/**
 * Writes the desired PolicyReports and ClusterPolicyReports, touching only those kclguard manages
 * (label app.kubernetes.io/managed-by=kclguard): creates what is missing, replaces what changed,
 * leaves what is equal alone (a steady cluster sees no writes), and deletes managed reports no
 * longer wanted — only after a complete audit, so a run cut short by its object limit does not
 * remove the reports of namespaces it did not reach.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { silentLogger, type EngineLogger } from '../engine/index.js';
import { MANAGED_BY, MANAGED_BY_LABEL, REPORT_API_VERSION, type PolicyReportObject } from './policy-reports.js';

/** The report objects kclguard can read and write (tests pass a fake). */
export interface ReportApi {
  /** Every managed report of both kinds. */
  list(): Promise<PolicyReportObject[]>;
  create(report: PolicyReportObject): Promise<void>;
  /** Replaces a report; `report.metadata.resourceVersion` is the one read. */
  replace(report: PolicyReportObject): Promise<void>;
  delete(report: Pick<PolicyReportObject, 'kind' | 'metadata'>): Promise<void>;
}

export interface WriteOutcome {
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly unchanged: number;
  /** Reports that could not be written (e.g. their namespace is being deleted); retried with backoff. */
  readonly failed: number;
}

function keyOf(report: Pick<PolicyReportObject, 'kind' | 'metadata'>): string {
  return `${report.kind}/${report.metadata.namespace ?? ''}/${report.metadata.name}`;
}

function sameContent(a: PolicyReportObject, b: PolicyReportObject): boolean {
  return JSON.stringify([a.summary, a.results]) === JSON.stringify([b.summary, b.results]);
}

export class ReportWriter {
  private readonly logger: EngineLogger;

  constructor(
    private readonly api: ReportApi,
    logger?: EngineLogger,
  ) {
    this.logger = logger ?? silentLogger;
  }

  /**
   * Makes the managed reports equal to `desired`; `complete`: also delete the others. One report
   * that cannot be written (its namespace is terminating, a conflict) does not stop the others.
   * Rejects only when the existing reports cannot be listed (no CRDs, no RBAC).
   */
  async write(desired: readonly PolicyReportObject[], complete: boolean): Promise<WriteOutcome> {
    const existing = new Map((await this.api.list()).map((r) => [keyOf(r), r]));
    const counts = { created: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0 };
    const attempt = async (report: Pick<PolicyReportObject, 'kind' | 'metadata'>, what: keyof typeof counts, write: () => Promise<void>): Promise<void> => {
      try {
        await write();
        counts[what] += 1;
      } catch (error) {
        counts.failed += 1;
        this.logger.warn({ report: keyOf(report), err: error instanceof Error ? error.message.split('\n')[0] : String(error) }, 'policy report not written; retried with backoff');
      }
    };
    for (const report of desired) {
      const current = existing.get(keyOf(report));
      existing.delete(keyOf(report));
      if (!current) await attempt(report, 'created', () => this.api.create(report));
      else if (sameContent(current, report)) counts.unchanged += 1;
      else await attempt(report, 'updated', () => this.api.replace({ ...report, metadata: { ...report.metadata, resourceVersion: current.metadata.resourceVersion } }));
    }
    if (complete) {
      for (const report of existing.values()) await attempt(report, 'deleted', () => this.api.delete(report));
    }
    if (counts.created + counts.updated + counts.deleted + counts.failed > 0) this.logger.info(counts, 'policy reports written');
    return counts;
  }
}

const GROUP = 'wgpolicyk8s.io';
const VERSION = REPORT_API_VERSION.split('/')[1]!;
const LABEL_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/** The ReportApi of a cluster (CustomObjectsApi on wgpolicyk8s.io/v1alpha2). */
export function kubeReportApi(kubeConfig: KubeConfig): ReportApi {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const plural = (kind: PolicyReportObject['kind']): string => (kind === 'PolicyReport' ? 'policyreports' : 'clusterpolicyreports');
  return {
    async list() {
      const lists = await Promise.all([
        api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'policyreports', labelSelector: LABEL_SELECTOR }),
        api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clusterpolicyreports', labelSelector: LABEL_SELECTOR }),
      ]);
      return lists.flatMap((list, i) =>
        ((list as { items?: PolicyReportObject[] }).items ?? []).map((item) => ({ ...item, kind: i === 0 ? 'PolicyReport' : 'ClusterPolicyReport', apiVersion: REPORT_API_VERSION }) as PolicyReportObject),
      );
    },
    async create(report) {
      const { namespace } = report.metadata;
      if (namespace) await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: plural(report.kind), namespace, body: report });
      else await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural: plural(report.kind), body: report });
    },
    async replace(report) {
      const { namespace, name } = report.metadata;
      if (namespace) await api.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, plural: plural(report.kind), namespace, name, body: report });
      else await api.replaceClusterCustomObject({ group: GROUP, version: VERSION, plural: plural(report.kind), name, body: report });
    },
    async delete(report) {
      const { namespace, name } = report.metadata;
      if (namespace) await api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: plural(report.kind), namespace, name });
      else await api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: plural(report.kind), name });
    },
  };
}
