/** Builders for engine tests: KCLRun manifests and EngineRequests with sensible defaults. */
import type { EngineRequest, Operation, Phase } from '../contract.js';

type Json = Record<string, unknown>;

export function kclRun(name: string, namespace: string, spec: Json, kind: 'KCLRun' | 'ClusterKCLRun' = 'KCLRun'): Json {
  return {
    apiVersion: 'krm.kcl.dev/v1alpha1',
    kind,
    metadata: kind === 'KCLRun' ? { name, namespace } : { name },
    spec,
  };
}

export function clusterKclRun(name: string, spec: Json): Json {
  return kclRun(name, '', spec, 'ClusterKCLRun');
}

export function pod(name: string, namespace: string, metadata: Json = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...metadata },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

export interface RequestOverrides {
  phase?: Phase;
  operation?: Operation;
  object?: Json;
  oldObject?: Json;
  kind?: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  namespace?: string;
  name?: string;
  subResource?: string;
  deadline?: number;
  dryRun?: boolean;
}

let uid = 0;

/** A Pod request by default; name/namespace come from the object unless given. */
export function request(overrides: RequestOverrides = {}): EngineRequest {
  const operation = overrides.operation ?? 'CREATE';
  const object = overrides.object ?? (operation === 'DELETE' ? undefined : pod('web', 'team-a'));
  const subject = object ?? overrides.oldObject;
  const metadata = (subject?.metadata ?? {}) as { name?: string; namespace?: string };
  uid += 1;
  return {
    uid: `uid-${uid}`,
    phase: overrides.phase ?? 'mutate',
    operation,
    kind: overrides.kind ?? { group: '', version: 'v1', kind: 'Pod' },
    resource: overrides.resource ?? { group: '', version: 'v1', resource: 'pods' },
    subResource: overrides.subResource,
    name: overrides.name ?? metadata.name,
    namespace: overrides.namespace ?? metadata.namespace,
    object,
    oldObject: overrides.oldObject,
    userInfo: { username: 'alice' },
    dryRun: overrides.dryRun ?? false,
    requestView: { uid: `uid-${uid}`, operation, userInfo: { username: 'alice' }, dryRun: overrides.dryRun ?? false },
    deadline: overrides.deadline,
  };
}
