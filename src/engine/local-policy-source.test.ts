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

/** A source with a clock the test moves (settle periods) and a way to wait for reloads. */
function source(dir: string, options: { settleMs?: number; onReload?: (r: LocalLoadReport) => void } = {}) {
  const policySet = new PolicySet({ executor: new InProcessExecutor({ compiler: new FakeCompiler() }) });
  const clock = { now: 1_000_000 };
  const waiters: (() => void)[] = [];
  const local = new LocalPolicySource({
    dir,
    policySet,
    debounceMs: 20,
    settleMs: options.settleMs ?? 1_000,
    now: options.settleMs === undefined ? () => clock.now : Date.now,
    onReload: (report) => {
      options.onReload?.(report);
      for (const wake of waiters.splice(0)) wake();
    },
  });
  sources.push(local);
  const keys = () => policySet.snapshot().policies.map((p) => p.identity.key);
  /** Resolves once a reload (by the watcher) leaves the set satisfying `check`. */
  const until = async (check: () => boolean): Promise<void> => {
    while (!check()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { policySet, local, clock, keys, until };
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

  it("keeps an unreadable file's last content, and drops a deleted file once it has stayed deleted for the settle period", async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}' })));
    const { local, policySet, clock } = source(dir);
    await local.load();
    // A symlink to a directory is listed as a file but reading it fails (EISDIR), like a file
    // without read permission would (which root could still read).
    await rm(file);
    await mkdir(join(dir, 'elsewhere'));
    await symlink(join(dir, 'elsewhere'), file);
    const report = await local.load();
    expect(report.problems.map((p) => p.origin)).toEqual([file]);
    expect(policySet.snapshot().policies).toHaveLength(1);
    expect(policySet.snapshot().policies[0]!.stale?.errors).toEqual([expect.stringContaining('EISDIR')]);
    await rm(file);
    await rm(join(dir, 'elsewhere'), { recursive: true });
    expect((await local.load()).problems).toEqual([]);
    expect(policySet.snapshot().policies).toHaveLength(1);
    clock.now += 999;
    await local.load();
    expect(policySet.snapshot().policies).toHaveLength(1);
    clock.now += 1;
    await local.load();
    expect(policySet.snapshot().policies).toHaveLength(0);
  });

  it('keeps the current set, stale, while the directory itself is unreadable', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.yaml'), dump(kclRun('p', 'a', { source: '{}' })));
    const { local, policySet } = source(dir);
    await local.load();
    await rm(dir, { recursive: true });
    const report = await local.load();
    expect(report.problems).toHaveLength(1);
    expect(policySet.snapshot().policies).toHaveLength(1);
    expect(policySet.snapshot().stale).toBe(1);
  });

  it("keeps a file's last content in force, marked stale, while the file is empty or cut off mid-document", async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { env: 'prod' } } };
    const full = dump(kclRun('p', 'a', { source: '{"assert": "no"}' }), namespace);
    await writeFile(file, full);
    const { local, policySet } = source(dir);
    await local.load();
    for (const text of ['', '\n# nothing yet\n', full.slice(0, full.indexOf('kind:')), full.slice(0, full.indexOf('name:')), 'apiVers']) {
      await writeFile(file, text);
      const report = await local.load();
      expect(report.problems.map((p) => p.origin)).toEqual([file]);
      const [policy] = policySet.snapshot().policies;
      expect(policy?.identity.key).toBe('a/p');
      expect(policy?.definition?.spec.source).toBe('{"assert": "no"}');
      expect(policy?.stale).toBeDefined();
      expect(local.get('a')?.labels).toEqual({ env: 'prod' });
    }
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}' }), namespace));
    await local.load();
    expect(policySet.snapshot().policies[0]!.definition!.spec.source).toBe('{}');
    expect(policySet.snapshot().stale).toBe(0);
  });

  it('keeps the last valid revision of a policy whose new revision fails the schema', async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}', failureAction: 'abort' })));
    const { local, policySet } = source(dir);
    await local.load();
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}', failureAction: 'abrot' })));
    await local.load();
    const [policy] = policySet.snapshot().policies;
    expect(policy!.definition!.spec.failureAction).toBe('abort');
    expect(policy!.stale!.errors).toEqual([expect.stringContaining('spec.failureAction')]);
  });

  it('removes policies and Namespaces a file no longer defines only once that has held for the settle period', async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { env: 'prod' } } };
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}' }), kclRun('q', 'a', { source: '{}' }), namespace));
    const { local, keys, clock } = source(dir);
    await local.load();
    // Cut at a document boundary: a valid file that defines less.
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}' })));
    await local.load();
    expect(keys()).toEqual(['a/p', 'a/q']);
    clock.now += 600;
    await local.load();
    expect(keys()).toEqual(['a/p', 'a/q']);
    // Rewritten in full after all: nothing is removed.
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}' }), kclRun('q', 'a', { source: '{"annotate": {}}' }), namespace));
    clock.now += 600;
    await local.load();
    expect(keys()).toEqual(['a/p', 'a/q']);
    await writeFile(file, dump(kclRun('p', 'a', { source: '{}' })));
    await local.load();
    clock.now += 1_000;
    await local.load();
    expect(keys()).toEqual(['a/p']);
    expect(local.get('a')).toBeUndefined();
  });

  it('swaps nothing when a reload finds what is already in force', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.yaml'), dump(kclRun('p', 'a', { source: '{}' })));
    let reloads = 0;
    const { local, policySet } = source(dir, { onReload: () => (reloads += 1) });
    await local.load();
    const before = policySet.snapshot();
    await local.load();
    expect(policySet.snapshot()).toBe(before);
    expect(reloads).toBe(1);
  });

  it('hot-reloads on change, including files in new subdirectories', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.yaml'), dump(kclRun('p', 'a', { source: '{}' })));
    const { local, keys, until } = source(dir, { settleMs: 30 });
    await local.load();
    local.watch();
    await writeFile(join(dir, 'q.yaml'), dump(kclRun('q', 'a', { source: '{}' })));
    await until(() => keys().length === 2);
    expect(keys()).toEqual(['a/p', 'a/q']);
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'r.yaml'), dump(kclRun('r', 'a', { source: '{}' })));
    await until(() => keys().length === 3);
    expect(keys()).toEqual(['a/p', 'a/q', 'a/r']);
  });

  it('keeps watching after the directory is deleted and created again', async () => {
    const parent = await tempDir();
    const dir = join(parent, 'policies');
    await mkdir(dir);
    await writeFile(join(dir, 'p.yaml'), dump(kclRun('p', 'a', { source: '{}' })));
    const problems: string[] = [];
    const { local, keys, until, policySet } = source(dir, { settleMs: 30, onReload: (r) => problems.push(...r.problems.map((p) => p.message)) });
    await local.load();
    local.watch();
    await rm(dir, { recursive: true });
    await until(() => problems.some((m) => m.startsWith('cannot read policy directory')));
    expect(keys()).toEqual(['a/p']);
    expect(policySet.snapshot().stale).toBe(1);
    // As `kubectl cp` or rsync would: the directory comes back with other content.
    await mkdir(dir);
    await writeFile(join(dir, 'q.yaml'), dump(kclRun('q', 'a', { source: '{}' })));
    await until(() => keys().join() === 'a/q');
    expect(policySet.snapshot().stale).toBe(0);
    // And the emergency step works again: removing a policy's file removes the policy.
    await writeFile(join(dir, 'r.yaml'), dump(kclRun('r', 'a', { source: '{}' })));
    await until(() => keys().join() === 'a/q,a/r');
    await rm(join(dir, 'q.yaml'));
    await until(() => keys().join() === 'a/r');
  });
});
