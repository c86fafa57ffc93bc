/**
 * `kclguard report`'s audit: the background audit of src/audit (the same requests, results and
 * reports) over objects the command read — from files, or listed from a live cluster — with
 * policies compiled by the webhook's engine. Where the ServiceAccount, exempt and lookup checks
 * are answered is the caller's choice (RBAC manifests offline, SubjectAccessReviews live).
 */
import { auditedPolicies, auditPass, buildReports, policyInfos, readCheck, type AuditedObject, type AuditTarget, type PolicyReportObject } from '../../audit/index.js';
import { createAdmissionHandler, resourceName, type Authorizer, type ExemptCheck, type NamespaceLookup, type PolicySet, type ServedKind } from '../../engine/index.js';

type JsonObject = Record<string, unknown>;

export interface AuditInput {
  /** Compiled policies (their executor answers lookups as the caller set it up). */
  readonly policies: PolicySet;
  /** The existing objects, with the resource each was read from. */
  readonly objects: readonly AuditTarget[];
  readonly authorizer: Authorizer;
  readonly exempt: ExemptCheck;
  readonly namespaces: NamespaceLookup;
  /** Seconds since epoch, the time of the results. */
  readonly now: number;
}

export interface AuditOutput {
  readonly reports: PolicyReportObject[];
  readonly objects: AuditedObject[];
  /** Objects the engine itself could not evaluate. */
  readonly failed: number;
  /** Policies not audited on some objects: their ServiceAccount may not list them (read-check.ts). */
  readonly notAudited: readonly string[];
}

export async function runAudit(input: AuditInput): Promise<AuditOutput> {
  const snapshot = input.policies.snapshot();
  const audited = auditedPolicies(snapshot);
  const kinds = new Set([...audited.values()].flat());
  const handler = createAdmissionHandler({ policies: input.policies, authorizer: input.authorizer, exempt: input.exempt, namespaces: input.namespaces });
  const notAudited: string[] = [];
  const pass = await auditPass({
    targets: input.objects.filter((t) => kinds.has(t.served.kind)),
    handler,
    infos: policyInfos(snapshot),
    audited,
    previous: new Map(),
    now: input.now,
    concurrency: 2,
    mayRead: readCheck(snapshot, input.authorizer, (policy, served, namespace) =>
      notAudited.push(`policy ${policy}: its ServiceAccount may not list ${resourceName(served)}${namespace ? ` in ${namespace}` : ''}, so they are not audited for it`),
    ),
  });
  const objects = [...pass.objects.values()].filter((o) => o.results.length > 0);
  return { reports: buildReports(objects), objects, failed: pass.failed, notAudited };
}

/** An object read from a file as an audit target (kind and scope by the offline heuristic). */
export function fileTarget(object: JsonObject, kindInfo: (kind: { kind: string }) => { resource: string; namespaced: boolean }, defaultNamespace: string): AuditTarget {
  const apiVersion = String(object.apiVersion);
  const slash = apiVersion.lastIndexOf('/');
  const info = kindInfo({ kind: String(object.kind) });
  const served: ServedKind = {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
    kind: String(object.kind),
    resource: info.resource,
    namespaced: info.namespaced,
  };
  const metadata = (object.metadata ?? {}) as JsonObject;
  // A namespaced object whose file names no namespace is where kubectl apply would put it.
  const withNamespace = served.namespaced && typeof metadata.namespace !== 'string' ? { ...object, metadata: { ...metadata, namespace: defaultNamespace } } : object;
  return { object: withNamespace, served };
}
