// Jest globalTeardown: stops the control plane globalSetup started. Jest runs it whether or
// not tests failed; should Jest itself be killed, the watchdog that `cluster.sh up` starts
// for the Jest process stops the servers instead. (Loaded outside Jest's module registry,
// like global-setup.ts, so it imports nothing relative.)
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export default async function globalTeardown(globalConfig: { rootDir: string }): Promise<void> {
  const dir = process.env.KCLGUARD_E2E_DIR;
  if (!dir || process.env.KCLGUARD_E2E_REUSED === '1') return;
  const down = execFileAsync(resolve(globalConfig.rootDir, 'scripts/control-plane/cluster.sh'), ['down', dir]);
  down.child.stderr?.pipe(process.stderr);
  await down;
}
