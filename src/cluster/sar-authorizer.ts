/**
 * The cluster Authorizer: asks the API server, with a SubjectAccessReview, whether a policy's
 * ServiceAccount may perform the request's verb (or the custom verb mutate / validate) on the
 * resource. Wrap it in the engine's cachingAuthorizer: this function itself always asks.
 */
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Authorizer } from '../engine/index.js';

export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The groups the API server gives every ServiceAccount token; RBAC bindings often name them. */
export function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];
}

export function subjectAccessReviewAuthorizer(kubeConfig: KubeConfig): Authorizer {
  const api = kubeConfig.makeApiClient(AuthorizationV1Api);
  return async (serviceAccount, attributes) => {
    const review = await api.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: serviceAccountUser(serviceAccount.namespace, serviceAccount.name),
          groups: serviceAccountGroups(serviceAccount.namespace),
          resourceAttributes: {
            verb: attributes.verb,
            group: attributes.group,
            resource: attributes.resource,
            subresource: attributes.subresource || undefined,
            namespace: attributes.namespace || undefined,
            name: attributes.name || undefined,
          },
        },
      },
    });
    return review.status?.allowed === true;
  };
}
