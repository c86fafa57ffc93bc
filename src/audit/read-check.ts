/**
 * Whether an audited policy's ServiceAccount may read what audit shows it. Admission shows a
 * policy the object being written, which its writer sent and is told about; audit shows it every
 * existing object of its kinds and puts what the policy said about each (its messages, its
 * errors) in a PolicyReport its namespace can read. So a policy audits only the objects its
 * ServiceAccount may `list`, as a `kube.list()` of them would need: a KCLRun whose ServiceAccount
 * may not read the namespace's Secrets learns nothing of them from its report. A ClusterKCLRun
 * without a ServiceAccount reads with kclguard's own authority, as its lookups do.
 */
import type { Authorizer, PolicySnapshot, ServedKind } from '../engine/index.js';

/** `(policy key, kind, namespace) -> may it read them`, each question asked once per pass. */
export type ReadCheck = (policy: string, served: ServedKind, namespace: string) => Promise<boolean>;

/** Told once per pass of each (policy, kind, namespace) the policy's ServiceAccount may not list. */
export type OnNotAudited = (policy: string, served: ServedKind, namespace: string) => void;

export function readCheck(snapshot: PolicySnapshot, authorizer: Authorizer, onNotAudited?: OnNotAudited): ReadCheck {
  const accounts = new Map(snapshot.policies.map((p) => [p.identity.key, p.definition?.spec.serviceAccount]));
  const answers = new Map<string, Promise<boolean>>();
  return (policy, served, namespace) => {
    const serviceAccount = accounts.get(policy);
    if (!serviceAccount) return Promise.resolve(true);
    const where = served.namespaced ? namespace : '';
    const key = JSON.stringify([policy, served.group, served.resource, where]);
    let answer = answers.get(key);
    if (!answer) {
      answer = authorizer(serviceAccount, { verb: 'list', group: served.group, resource: served.resource, subresource: '', namespace: where, name: '' });
      answer.then((allowed) => allowed || onNotAudited?.(policy, served, where), () => undefined);
      answers.set(key, answer);
    }
    return answer;
  };
}
