/**
 * The admission request background audit evaluates an existing object with: an UPDATE of the
 * object to itself, as Kyverno's background scan does, so policies written for admission run
 * unchanged on what already exists (`option("request").operation` is "UPDATE", `dryRun` is true:
 * nothing is being written). It goes through the same engine as a webhook request — selection,
 * consent, the ServiceAccount checks, failureAction — marked `background` so the worker pool runs
 * it behind every admission request.
 */
import type { EngineRequest, ServedKind, UserInfo } from '../engine/index.js';

type JsonObject = Record<string, unknown>;

/**
 * Who "sends" an audit request. There is no requesting user; this identity is asked the
 * `exempt` question when an object's own canValidate annotation vetoes a policy (nobody may by
 * default, so such vetoes do not hide violations from reports unless an admin grants it).
 */
export const AUDIT_USER: UserInfo = { username: 'kclguard:audit', groups: ['system:authenticated'] };

/** An existing object and the resource it was read from. */
export interface AuditTarget {
  readonly object: JsonObject;
  readonly served: ServedKind;
}

export function metadataOf(object: JsonObject): { name: string; namespace: string; uid: string } {
  const m = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown; uid?: unknown };
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { name: text(m.name), namespace: text(m.namespace), uid: text(m.uid) };
}

export function apiVersionOf(served: Pick<ServedKind, 'group' | 'version'>): string {
  return served.group === '' ? served.version : `${served.group}/${served.version}`;
}

/** A stable key of an object: its uid, else kind, namespace and name (objects read from files). */
export function targetKey(target: AuditTarget): string {
  const { name, namespace, uid } = metadataOf(target.object);
  return uid !== '' ? uid : `${apiVersionOf(target.served)}/${target.served.kind}/${namespace}/${name}`;
}

export function auditRequest(target: AuditTarget): EngineRequest {
  const { served } = target;
  const { name, namespace } = metadataOf(target.object);
  // Objects from a cache's LIST carry no apiVersion/kind of their own.
  const object = { ...target.object, apiVersion: apiVersionOf(served), kind: served.kind };
  // As the API server does: a Namespace is in itself, cluster-scoped objects in none.
  const requestNamespace = served.namespaced ? namespace : served.group === '' && served.kind === 'Namespace' ? name : undefined;
  const uid = `kclguard-audit-${targetKey(target)}`;
  const kind = { group: served.group, version: served.version, kind: served.kind };
  const resource = { group: served.group, version: served.version, resource: served.resource };
  const requestView: JsonObject = { uid, kind, resource, name, operation: 'UPDATE', userInfo: AUDIT_USER, dryRun: true };
  if (requestNamespace !== undefined) requestView.namespace = requestNamespace;
  return {
    uid,
    phase: 'validate',
    operation: 'UPDATE',
    kind,
    resource,
    name,
    ...(requestNamespace !== undefined ? { namespace: requestNamespace } : {}),
    object,
    oldObject: object,
    userInfo: AUDIT_USER,
    dryRun: true,
    requestView,
    background: true,
  };
}
