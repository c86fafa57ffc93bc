/**
 * What `serve` reads from its environment besides its flags: each flag's KCLGUARD_* twin, the
 * in-cluster variables a Pod has (KUBERNETES_SERVICE_HOST turns on cluster mode), and the
 * downward-API names. A test of local mode that inherits them from a CI job running in a Pod
 * would silently test cluster mode instead, so serve tests clear them first.
 */
const IN_CLUSTER = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'KUBERNETES_SERVICE_PORT_HTTPS', 'POD_NAME', 'POD_NAMESPACE'];

export function clearServeEnvironment(env: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(env)) {
    if (key.startsWith('KCLGUARD_') || IN_CLUSTER.includes(key)) delete env[key];
  }
}
