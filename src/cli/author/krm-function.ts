/**
 * The KRM function (`kclguard fn`): the functionConfig is a KCLRun or ClusterKCLRun; every item
 * of the ResourceList is admitted as a CREATE request through the offline engine (selector,
 * consent, failureAction — exactly as the webhook would), and the outcome becomes the item's new
 * content and `results` entries:
 *
 * | engine result                    | item              | result severity            |
 * | mutated                          | the mutated item  | info                       |
 * | violated                         | unchanged         | error (exit 1)             |
 * | failed, failureAction abort      | unchanged         | error (exit 1)             |
 * | failed, failureAction warn       | unchanged         | warning                    |
 * | failed, failureAction skip       | unchanged         | info                       |
 * | not_consented / not_authorized   | unchanged         | warning (an effect dropped)|
 * | passed / skipped / not_selected  | unchanged         | none                       |
 */
import { isObject } from './files.js';
import { OfflineEngine, type PolicyReport } from './offline-engine.js';
import { buildAdmissionRequest } from './request.js';

type JsonObject = Record<string, unknown>;

export type Severity = 'error' | 'warning' | 'info';

export interface KrmResult {
  readonly message: string;
  readonly severity: Severity;
  readonly resourceRef?: { apiVersion: string; kind: string; name: string; namespace?: string };
  readonly file?: { path: string; index?: number };
}

export interface FunctionOutput {
  readonly items: JsonObject[];
  readonly results: KrmResult[];
  /** Whether any result is an error: the function exits 1. */
  readonly failed: boolean;
}

function severityOf(report: PolicyReport): Severity | undefined {
  switch (report.result) {
    case 'mutated':
      return 'info';
    case 'violated':
      return 'error';
    case 'failed':
      return report.action === 'abort' ? 'error' : report.action === 'warn' ? 'warning' : 'info';
    case 'not_consented':
    case 'not_authorized':
      return 'warning';
    default:
      return undefined;
  }
}

function messageOf(report: PolicyReport): string {
  switch (report.result) {
    case 'mutated':
      return `mutated by policy ${report.policy}`;
    case 'violated':
      return report.reason ?? `violates policy ${report.policy}`;
    case 'failed':
      return `policy ${report.policy} failed (failureAction ${report.action ?? 'abort'}): ${report.reason ?? ''}`;
    default:
      return `effect of policy ${report.policy} dropped (${report.result}): ${report.reason ?? ''}`;
  }
}

function resourceRef(item: JsonObject): KrmResult['resourceRef'] {
  const metadata = isObject(item.metadata) ? item.metadata : {};
  return {
    apiVersion: String(item.apiVersion ?? ''),
    kind: String(item.kind ?? ''),
    name: String(metadata.name ?? ''),
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
  };
}

/** kpt/kustomize record where an item came from in these annotations. */
function fileOf(item: JsonObject): KrmResult['file'] {
  const annotations = isObject(item.metadata) && isObject(item.metadata.annotations) ? item.metadata.annotations : {};
  const path = annotations['internal.config.kubernetes.io/path'] ?? annotations['config.kubernetes.io/path'];
  if (typeof path !== 'string') return undefined;
  const index = Number(annotations['internal.config.kubernetes.io/index'] ?? annotations['config.kubernetes.io/index']);
  return Number.isInteger(index) ? { path, index } : { path };
}

export async function runFunction(functionConfig: JsonObject, items: readonly unknown[]): Promise<FunctionOutput> {
  const engine = await OfflineEngine.create({ policies: [{ doc: functionConfig, origin: 'functionConfig' }] });
  const outItems: JsonObject[] = [];
  const results: KrmResult[] = [];
  for (const item of items) {
    if (!isObject(item) || typeof item.apiVersion !== 'string' || typeof item.kind !== 'string') {
      results.push({ message: 'item is not a Kubernetes object (apiVersion and kind); passed through unchanged', severity: 'warning' });
      outItems.push(item as JsonObject);
      continue;
    }
    const admission = buildAdmissionRequest({ operation: 'CREATE', object: item, defaultNamespace: engine.defaultNamespace() });
    const outcome = await engine.evaluate(admission);
    outItems.push(outcome.allowed && outcome.object ? outcome.object : item);
    for (const report of outcome.policies) {
      const severity = severityOf(report);
      if (!severity) continue;
      const file = fileOf(item);
      results.push({ message: messageOf(report), severity, resourceRef: resourceRef(item), ...(file ? { file } : {}) });
    }
  }
  return { items: outItems, results, failed: results.some((r) => r.severity === 'error') };
}
