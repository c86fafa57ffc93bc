/**
 * Registry credentials in cluster mode: the dockerconfigjson Secret a policy names in
 * `spec.credentials.secretRef.name`, read AS THE POLICY'S SERVICEACCOUNT (the request carries
 * `Impersonate-User: system:serviceaccount:<ns>:<name>`), so a policy can use only credentials
 * its ServiceAccount may read — never a Secret that merely sits in a namespace kclguard can see.
 *
 * - KCLRun: the Secret is in the policy's namespace, read as its ServiceAccount.
 * - ClusterKCLRun with serviceAccountName/serviceAccountNamespace: in the ServiceAccount's
 *   namespace, read as that ServiceAccount.
 * - ClusterKCLRun without a ServiceAccount (kclguard's own authority): in kclguard's own
 *   namespace, read as kclguard.
 *
 * Reads are cached for a few seconds so a burst of reloads costs one GET per Secret.
 */
import { CoreV1Api, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { parseDockerConfig, SourceError, type CredentialProvider, type CredentialStore, type ResolvableDefinition } from '../sources/index.js';
import { statusCode } from './api-errors.js';

const CACHE_MS = 10_000;

export interface RegistrySecretsOptions {
  readonly kubeConfig: KubeConfig;
  /** kclguard's own namespace: where a ClusterKCLRun without a ServiceAccount keeps its Secret. */
  readonly ownNamespace: string;
  readonly now?: () => number;
}

/** The same connection, every request impersonating `user`. */
export function impersonating(kubeConfig: KubeConfig, user: string): KubeConfig {
  const current = kubeConfig.getCurrentUser();
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kubeConfig.clusters,
    contexts: kubeConfig.contexts,
    currentContext: kubeConfig.currentContext,
    users: kubeConfig.users.map((u) => (u === current ? { ...u, impersonateUser: user } : u)),
  });
  return copy;
}

function storeOf(secret: V1Secret, where: string): CredentialStore {
  const data = secret.data ?? {};
  if (secret.type === 'kubernetes.io/dockerconfigjson' && data['.dockerconfigjson'] !== undefined) {
    return parseDockerConfig(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8'), where);
  }
  if (secret.type === 'kubernetes.io/dockercfg' && data['.dockercfg'] !== undefined) {
    // The legacy format is the "auths" map itself.
    return parseDockerConfig(`{"auths":${Buffer.from(data['.dockercfg'], 'base64').toString('utf8')}}`, where);
  }
  throw new SourceError('S4001', `${where} is not of type kubernetes.io/dockerconfigjson with a .dockerconfigjson key (it is ${secret.type ?? 'untyped'})`);
}

export function registrySecretCredentials(options: RegistrySecretsOptions): CredentialProvider {
  const clients = new Map<string, CoreV1Api>();
  const cache = new Map<string, { at: number; store: Promise<CredentialStore> }>();
  const now = options.now ?? Date.now;
  const clientFor = (user: string | undefined): CoreV1Api => {
    const key = user ?? '';
    let api = clients.get(key);
    if (!api) {
      api = (user ? impersonating(options.kubeConfig, user) : options.kubeConfig).makeApiClient(CoreV1Api);
      clients.set(key, api);
    }
    return api;
  };
  const read = async (namespace: string, name: string, user: string | undefined): Promise<CredentialStore> => {
    const where = `Secret ${namespace}/${name}`;
    const as = user ? `ServiceAccount ${user.replace(/^system:serviceaccount:/, '').replace(':', '/')}` : 'kclguard';
    let secret: V1Secret;
    try {
      secret = await clientFor(user).readNamespacedSecret({ name, namespace });
    } catch (error) {
      const code = statusCode(error);
      const body = String((error as { body?: unknown })?.body ?? '');
      if (code === 403 && body.includes('impersonate')) throw new SourceError('S4001', `kclguard may not impersonate ${as} to read ${where} (is the chart value sources.credentials off?)`);
      if (code === 403) throw new SourceError('S4001', `${as} may not get ${where}: grant it get on that Secret (a Role and RoleBinding)`);
      if (code === 404) throw new SourceError('S4001', `${where} not found`);
      throw new SourceError('S4001', `reading ${where} as ${as} failed${code ? ` (HTTP ${code})` : ''}`);
    }
    return storeOf(secret, where);
  };
  return async (definition: ResolvableDefinition) => {
    const name = definition.spec.credentialsSecret;
    if (name === undefined) return undefined;
    const sa = definition.spec.serviceAccount;
    const namespace = sa?.namespace ?? definition.identity.namespace ?? options.ownNamespace;
    const user = sa ? `system:serviceaccount:${sa.namespace}:${sa.name}` : undefined;
    const key = `${namespace}/${name}/${user ?? ''}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at < CACHE_MS) return hit.store;
    const store = read(namespace, name, user);
    cache.set(key, { at: now(), store });
    store.catch(() => cache.delete(key));
    return store;
  };
}

/** With credentials turned off (chart value sources.credentials=false): a policy naming a Secret fails clearly. */
export const noRegistryCredentials: CredentialProvider = async (definition) => {
  if (definition.spec.credentialsSecret === undefined) return undefined;
  throw new SourceError('S4001', `spec.credentials names Secret ${definition.spec.credentialsSecret}, but registry credentials are turned off in this installation (--source-credentials=none)`);
};
