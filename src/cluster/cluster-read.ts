/**
 * One-off reads of a live cluster for `kclguard report --kubeconfig`: its policies, Namespaces and
 * the objects of given kinds (plain LISTs, as the user running the command), and the same
 * SubjectAccessReview checks cluster mode makes (ServiceAccounts, and the exempt check).
 */
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { cachingAuthorizer, cachingExemptCheck, KCLRUN_API_VERSION, KCLRUN_GROUP, KCLRUN_VERSION, type Authorizer, type ExemptCheck, type ServedKind } from '../engine/index.js';
import { KindResolver } from './discovery.js';
import { subjectAccessReviewAuthorizer, subjectAccessReviewUserAuthorizer } from './sar-authorizer.js';

type JsonObject = Record<string, unknown>;

export interface ClusterReader {
  readonly kinds: KindResolver;
  readonly authorizer: Authorizer;
  readonly exempt: ExemptCheck;
  /** Every KCLRun and ClusterKCLRun, with apiVersion and kind. */
  policies(): Promise<JsonObject[]>;
  namespaces(): Promise<JsonObject[]>;
  /** Every object of a kind, in every namespace, with apiVersion and kind. */
  objects(served: ServedKind): Promise<JsonObject[]>;
}

export function clusterReader(kubeConfig: KubeConfig): ClusterReader {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const items = (list: unknown): JsonObject[] => ((list as { items?: JsonObject[] }).items ?? []);
  return {
    kinds: new KindResolver(kubeConfig),
    authorizer: cachingAuthorizer(subjectAccessReviewAuthorizer(kubeConfig)),
    exempt: cachingExemptCheck(subjectAccessReviewUserAuthorizer(kubeConfig)),
    async policies() {
      const [namespaced, cluster] = await Promise.all(
        ['kclruns', 'clusterkclruns'].map((plural) => custom.listClusterCustomObject({ group: KCLRUN_GROUP, version: KCLRUN_VERSION, plural })),
      );
      return [
        ...items(namespaced).map((o) => ({ ...o, apiVersion: KCLRUN_API_VERSION, kind: 'KCLRun' })),
        ...items(cluster).map((o) => ({ ...o, apiVersion: KCLRUN_API_VERSION, kind: 'ClusterKCLRun' })),
      ];
    },
    async namespaces() {
      return items(await core.listNamespace()).map((o) => ({ ...o, apiVersion: 'v1', kind: 'Namespace' }));
    },
    async objects(served) {
      const apiVersion = served.group === '' ? served.version : `${served.group}/${served.version}`;
      return items(await objects.list(apiVersion, served.kind)).map((o) => ({ ...o, apiVersion, kind: served.kind }));
    },
  };
}
