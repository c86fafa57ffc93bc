/** `kclguard report`'s output: a table of results (the default), or the PolicyReports as YAML/JSON. */
import { REPORT_RESULTS, summaryOf, type PolicyReportObject } from '../../audit/index.js';
import { dumpYaml } from './yaml-output.js';

export type ReportFormat = 'table' | 'yaml' | 'json';

const MESSAGE_WIDTH = 100;

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
}

export function renderTable(reports: readonly PolicyReportObject[]): string {
  const header = ['NAMESPACE', 'RESOURCE', 'POLICY', 'RESULT', 'SEVERITY', 'MESSAGE'];
  const rows = reports.flatMap((report) =>
    report.results.map((r) => {
      const resource = r.resources[0]!;
      const message = r.message.replace(/\s+/g, ' ');
      return [report.metadata.namespace ?? '-', `${resource.kind}/${resource.name}`, r.policy, r.result, r.severity, message.length > MESSAGE_WIDTH ? `${message.slice(0, MESSAGE_WIDTH - 1)}…` : message];
    }),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const summary = summaryOf(reports.flatMap((r) => r.results));
  const lines = rows.length === 0 ? ['no results: no mode Validate policy names a kind of the objects given'] : [row(header, widths), ...rows.map((r) => row(r, widths))];
  lines.push(REPORT_RESULTS.map((r) => `${summary[r]} ${r}`).join(', '));
  return `${lines.join('\n')}\n`;
}

export function renderReports(reports: readonly PolicyReportObject[], format: ReportFormat): string {
  if (format === 'table') return renderTable(reports);
  const list = { apiVersion: 'v1', kind: 'List', items: reports };
  return format === 'json' ? `${JSON.stringify(list, null, 2)}\n` : dumpYaml(list);
}
