/**
 * The cluster Authorizer: asks the API server, with a SubjectAccessReview, whether a policy's
 * ServiceAccount may perform the request's verb (or the custom verb mutate / validate) on the
 * resource. Wrap it in the engine's cachingAuthorizer: this function itself always asks.
 */
import { AuthorizationV1Api, type KubeConfig, type V1SubjectAccessReview } from '@kubernetes/client-node';
import { QuestionRefusedError, type Authorizer, type UserAuthorizer } from '../engine/index.js';
import { statusCode } from './api-errors.js';

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
    const review = await ask(() => api.createSubjectAccessReview({
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
    }));
    return review.status?.allowed === true;
  };
}

/**
 * The review's answer. A 4xx other than 408 and 429 is the API server refusing this question (a
 * body over its limit, a field it cannot take), not an outage: QuestionRefusedError, which the
 * answer caches keep out of their shared outage state.
 */
async function ask(create: () => Promise<V1SubjectAccessReview>): Promise<V1SubjectAccessReview> {
  try {
    return await create();
  } catch (error) {
    throw refusedOrAsIs(error);
  }
}

/** A failed review's error: QuestionRefusedError for a 4xx other than 408 and 429, else itself. */
export function refusedOrAsIs(error: unknown): unknown {
  const status = statusCode(error);
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new QuestionRefusedError(status, `the API server refused the SubjectAccessReview (HTTP ${status})`);
  }
  return error;
}

/**
 * Asks whether a requesting user may do something — the `exempt` check (src/engine/exempt.ts) —
 * with the user's name, uid, groups and extra exactly as the AdmissionRequest's userInfo gives
 * them, so that the answer is the one the API server's authorizer would give that user.
 */
export function subjectAccessReviewUserAuthorizer(kubeConfig: KubeConfig): UserAuthorizer {
  const api = kubeConfig.makeApiClient(AuthorizationV1Api);
  return async (user, attributes) => {
    const review = await ask(() => api.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          uid: user.uid,
          groups: user.groups ? [...user.groups] : undefined,
          extra: user.extra ? Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]])) : undefined,
          resourceAttributes: {
            verb: attributes.verb,
            group: attributes.group,
            resource: attributes.resource,
            namespace: attributes.namespace || undefined,
            name: attributes.name || undefined,
          },
        },
      },
    }));
    return review.status?.allowed === true;
  };
}
