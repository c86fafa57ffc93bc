/** An in-memory ReportApi for the audit's tests: the reports stored, and every write made. */
import type { PolicyReportObject } from '../policy-reports.js';
import type { ReportApi } from '../report-writer.js';

export class FakeReports implements ReportApi {
  readonly stored = new Map<string, PolicyReportObject>();
  readonly calls: string[] = [];
  private version = 1;
  private key(r: Pick<PolicyReportObject, 'kind' | 'metadata'>): string {
    return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
  }
  async list(): Promise<PolicyReportObject[]> {
    return [...this.stored.values()];
  }
  async create(r: PolicyReportObject): Promise<void> {
    this.calls.push(`create ${this.key(r)}`);
    this.stored.set(this.key(r), { ...r, metadata: { ...r.metadata, resourceVersion: String(this.version++) } });
  }
  async replace(r: PolicyReportObject): Promise<void> {
    this.calls.push(`replace ${this.key(r)} at ${r.metadata.resourceVersion}`);
    this.stored.set(this.key(r), { ...r, metadata: { ...r.metadata, resourceVersion: String(this.version++) } });
  }
  async delete(r: Pick<PolicyReportObject, 'kind' | 'metadata'>): Promise<void> {
    this.calls.push(`delete ${this.key(r)}`);
    this.stored.delete(this.key(r));
  }
}
