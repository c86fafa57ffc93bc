/**
 * Where kclguard finds its cluster: an explicit kubeconfig file, else the in-cluster
 * ServiceAccount (a Pod), else none (local mode, serving from a policy directory).
 */
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type ClusterConnection = { readonly kubeConfig: KubeConfig; readonly source: 'kubeconfig' | 'in-cluster' };

export class ClusterConfigError extends Error {}

export function connectToCluster(kubeconfigPath: string | undefined, env: NodeJS.ProcessEnv = process.env): ClusterConnection | undefined {
  const kubeConfig = new KubeConfig();
  if (kubeconfigPath !== undefined) {
    if (!existsSync(kubeconfigPath)) throw new ClusterConfigError(`--kubeconfig ${kubeconfigPath}: no such file`);
    try {
      kubeConfig.loadFromFile(kubeconfigPath);
    } catch (err) {
      throw new ClusterConfigError(`--kubeconfig ${kubeconfigPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!kubeConfig.getCurrentCluster()) throw new ClusterConfigError(`--kubeconfig ${kubeconfigPath}: no current cluster`);
    return { kubeConfig, source: 'kubeconfig' };
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) {
    kubeConfig.loadFromCluster();
    return { kubeConfig, source: 'in-cluster' };
  }
  return undefined;
}
