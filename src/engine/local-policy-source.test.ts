import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { LocalPolicySource, type LocalLoadReport } from './local-policy-source.js';
import { PolicySet } from './policy-set.js';
import { FakeCompiler } from './testing/fake-compiler.js';
import { InProcessExecutor } from './in-process-executor.js';
import { clusterKclRun, kclRun } from './testing/fixtures.js';

const dirs: string[] = [];
const sources: LocalPolicySource[] = [];

afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kclguard-engine-'));
  dirs.push(dir);
  return dir;
}

function source(dir: string, onReload?: (r: LocalLoadReport) => void) {
  const policySet = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
  const local = new LocalPolicySource({ dir, policySet, debounceMs: 20, onReload });
  sources.push(local);
  return { policySet, local };
}

const dump = (...docs: unknown[]) => docs.map((d) => yaml.dump(d)).join('---\n');

describe('LocalPolicySource', () => {
  it('loads policies and Namespaces recursively and ignores other kinds and test files', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'team-a', 'nested'), { recursive: true });
    await mkdir(join(dir, 'testdata'));
    await mkdir(join(dir, '.hidden'));
    await writeFile(join(dir, 'cluster.yaml'), dump(clusterKclRun('c', { source: '{}' }), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { env: 'prod' } } }));
    await writeFile(join(dir, 'team-a', 'nested', 'p.yml'), dump(kclRun('p', 'team-a', { source: '{}' }), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }));
    await writeFile(join(dir, 'team-a', 'kclguard-test.yaml'), dump({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'only-in-test' } }, kclRun('t', 'team-a', { source: '{}' })));
    await writeFile(join(dir, 'testdata', 'x.yaml'), dump(kclRun('fixture', 'team-a', { source: '{}' })));
    await writeFile(join(dir, '.hidden', 'x.yaml'), dump(kclRun('hidden', 'team-a', { source: '{}' })));
    await writeFile(join(dir, 'notes.txt'), 'not yaml');
    const { local, policySet } = source(dir);
    const report = await local.load();
    expect(report.problems).toEqual([]);
    expect(policySet.snapshot().policies.map((p) => p.identity.key)).toEqual(['team-a/p', 'cluster/c']);
    expect(local.get('team-a')?.labels).toEqual({ env: 'prod' });
    expect(local.get('only-in-test')).toBeUndefined();
    expect(report.files).toBe(2);
  });

  it('reports a broken file with its path and line, keeping its last good content', async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}' })));
    const { local, policySet } = source(dir);
    await local.load();
    await writeFile(file, 'apiVersion: [unterminated\n');
    const report = await local.load();
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.origin).toBe(file);
    expect(report.problems[0]!.message).toContain(`${file}:2:1`);
    expect(policySet.snapshot().policies.map((p) => p.identity.key)).toEqual(['a/p']);
  });

  it('reports an unreadable file and drops a deleted one', async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}' })));
    const { local, policySet } = source(dir);
    await local.load();
    // A symlink to a directory is listed as a file but reading it fails (EISDIR), like a file
    // without read permission would (which root could still read).
    await rm(file);
    await mkdir(join(dir, 'elsewhere'));
    await symlink(join(dir, 'elsewhere'), file);
    const report = await local.load();
    expect(report.problems.map((p) => p.origin)).toEqual([file]);
    expect(policySet.snapshot().policies).toHaveLength(1);
    await rm(file);
    await rm(join(dir, 'elsewhere'), { recursive: true });
    expect((await local.load()).problems).toEqual([]);
    expect(policySet.snapshot().policies).toHaveLength(0);
  });

  it('keeps the current set when the directory itself is unreadable', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.yaml'), dump(kclRun('p', 'a', { source: '{}' })));
    const { local, policySet } = source(dir);
    await local.load();
    await rm(dir, { recursive: true });
    const report = await local.load();
    expect(report.problems).toHaveLength(1);
    expect(policySet.snapshot().policies).toHaveLength(1);
  });

  it('hot-reloads on change, including files in new subdirectories', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.yaml'), dump(kclRun('p', 'a', { source: '{}' })));
    let waiter: ((r: LocalLoadReport) => void) | undefined;
    const next = () => new Promise<LocalLoadReport>((resolve) => (waiter = resolve));
    const { local, policySet } = source(dir, (r) => waiter?.(r));
    await local.load();
    local.watch();
    let reloaded = next();
    await writeFile(join(dir, 'q.yaml'), dump(kclRun('q', 'a', { source: '{}' })));
    await reloaded;
    expect(policySet.snapshot().policies.map((p) => p.identity.key)).toEqual(['a/p', 'a/q']);
    reloaded = next();
    await mkdir(join(dir, 'sub'));
    await reloaded;
    reloaded = next();
    await writeFile(join(dir, 'sub', 'r.yaml'), dump(kclRun('r', 'a', { source: '{}' })));
    await reloaded;
    expect(policySet.snapshot().policies.map((p) => p.identity.key)).toEqual(['a/p', 'a/q', 'a/r']);
  });
});
