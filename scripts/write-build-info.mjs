// Records the build that `kclguard version` reports: dist/build-info.json {"commit": ...}.
// The commit is $KCLGUARD_BUILD_COMMIT when set (the Dockerfile passes it as a build argument:
// an image build context has no .git), else `git rev-parse HEAD` with "-dirty" when the tree has
// uncommitted changes, else "unknown".
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

function git(...args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function commit() {
  const fromEnv = process.env.KCLGUARD_BUILD_COMMIT?.trim();
  if (fromEnv) return fromEnv;
  const head = git('rev-parse', 'HEAD');
  if (!head) return 'unknown';
  return git('status', '--porcelain', '--untracked-files=no') ? `${head}-dirty` : head;
}

mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify({ commit: commit() })}\n`);
