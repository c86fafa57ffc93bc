/**
 * `kclguard fn` driven by the real kpt (`kpt fn eval --exec`), as a kpt user runs it. Runs with
 * the e2e suite because it needs a tool built from the Go module proxy: the pinned kpt, which
 * scripts/install-kpt.sh builds into the tools cache the first time (a few minutes) and finds
 * there afterwards. The global setup builds the CLI into dist/.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'main.js');
const policies = join(root, 'policies');

let kptBinary = '';

function kpt(args: string[]) {
  // The timeout only keeps a hung kpt from hanging the suite (a synchronous spawn cannot be
  // interrupted by jest); nothing is asserted about how long kpt takes.
  return spawnSync(kptBinary, args, { encoding: 'utf8', timeout: 120_000 });
}

function packageWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-kpt-'));
  for (const [name, from] of Object.entries(files)) cpSync(from, join(dir, name));
  return dir;
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  // Progress of a first build goes to the terminal; stdout is only the binary's path.
  kptBinary = execFileSync(join(root, 'scripts', 'install-kpt.sh'), [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}, 20 * 60_000);

describe('kpt fn eval --exec "kclguard fn"', () => {
  test('a mutating KCLRun mutates the package files in place', () => {
    const dir = packageWith({ 'configmap.yaml': join(policies, 'set-labels', 'resources', 'configmap.yaml') });
    try {
      const r = kpt(['fn', 'eval', dir, '--exec', `node ${cli} fn`, '--fn-config', join(policies, 'set-labels', 'policy.yaml')]);
      expect(r.status).toBe(0);
      const expected = yaml.load(readFileSync(join(policies, 'set-labels', 'resources', 'configmap-mutated.yaml'), 'utf8')) as any;
      const written = yaml.load(readFileSync(join(dir, 'configmap.yaml'), 'utf8')) as any;
      expect(written.metadata.labels).toEqual(expected.metadata.labels);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a violation fails the kpt run with an error result naming the resource', () => {
    const dir = packageWith({ 'pod.yaml': join(policies, 'disallow-latest-tag', 'resources', 'pod-latest.yaml') });
    try {
      const r = kpt(['fn', 'eval', dir, '--exec', `node ${cli} fn`, '--fn-config', join(policies, 'disallow-latest-tag', 'policy.yaml')]);
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('[error]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
