/**
 * Offline lookups: `eval --lookup`, kclguard-test.yaml `lookups:`, `fn --lookup` — the objects
 * kube.get / kube.list read come from files, authorized from the same RBAC manifests as the
 * other ServiceAccount checks (allow-all without them).
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { main as evalMain } from '../../src/cli/eval.js';
import { main as fnMain } from '../../src/cli/fn.js';
import { main as testMain } from '../../src/cli/test.js';
import { capture, POLICIES_DIR } from './cli-harness.js';

const UNIQUE = join(POLICIES_DIR, 'unique-ingress-host');
const POLICY = join(UNIQUE, 'policy.yaml');
const TAKEN = join(UNIQUE, 'resources', 'ingress-taken-host.yaml');
const INGRESSES = join(UNIQUE, 'cluster', 'ingresses.yaml');
const RBAC = join(UNIQUE, 'rbac.yaml');

const evalJson = async (...argv: string[]) => {
  const r = await capture(() => evalMain([...argv, '--output', 'json']));
  return { ...r, doc: JSON.parse(r.out) as { allowed: boolean; policies: { result: string; reason?: string }[] } };
};

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kclguard-lookups-'));
}

describe('eval --lookup', () => {
  test('lookups read the given objects: a taken host is denied, an empty cluster admits', async () => {
    const taken = await evalJson('--policy', POLICY, '--resource', TAKEN, '--lookup', INGRESSES, '--rbac', RBAC);
    expect(taken.code).toBe(1);
    expect(taken.doc.policies[0]).toMatchObject({ result: 'violated' });
    const empty = await evalJson('--policy', POLICY, '--resource', TAKEN, '--rbac', RBAC);
    expect(empty.code).toBe(0);
  });

  test('without RBAC for list, the lookup fails the policy (K9008); failureAction abort denies', async () => {
    const dir = tempDir();
    try {
      // Only validate, no list: the lookup is refused, never answered empty.
      const rbac = yaml.loadAll(await import('node:fs').then((fs) => fs.readFileSync(RBAC, 'utf8'))) as Record<string, any>[];
      rbac[0]!.rules[0].verbs = ['validate'];
      writeFileSync(join(dir, 'rbac.yaml'), rbac.map((d) => yaml.dump(d)).join('---\n'));
      const denied = await evalJson('--policy', POLICY, '--resource', join(UNIQUE, 'resources', 'ingress-new-host.yaml'), '--lookup', INGRESSES, '--rbac', join(dir, 'rbac.yaml'));
      expect(denied.code).toBe(1);
      expect(denied.doc.policies[0]).toMatchObject({ result: 'failed' });
      expect(denied.doc.policies[0]!.reason).toContain('K9008');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--trace shows every lookup with its answer and the ServiceAccount check', async () => {
    const r = await capture(() => evalMain(['--policy', POLICY, '--resource', TAKEN, '--lookup', INGRESSES, '--rbac', RBAC, '--trace']));
    expect(r.out).toContain('cluster/unique-ingress-host: kube.list("networking.k8s.io/v1", "Ingress", "", null) -> 2 object(s)');
    expect(r.out).toMatch(/ServiceAccount platform\/ingress-reader may list networking.k8s.io\/ingresses: yes/);
  });

  test('a lookup file that holds something other than objects is an input error (exit 2)', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'bad.yaml'), '- just a list\n');
      const r = await capture(() => evalMain(['--policy', POLICY, '--resource', TAKEN, '--lookup', join(dir, 'bad.yaml')]));
      expect(r.code).toBe(2);
      expect(r.err).toContain('bad.yaml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kclguard test with lookups', () => {
  test('the example policies that look objects up pass', async () => {
    for (const name of ['unique-ingress-host', 'require-network-policy', 'service-selector-matches']) {
      const r = await capture(() => testMain([join(POLICIES_DIR, name)]));
      expect({ name, code: r.code, summary: r.out.trim().split('\n').pop() }).toEqual({ name, code: 0, summary: expect.stringMatching(/^\d+ passed, 0 failed$/) });
    }
  });

  test('an undeclared kind fails the case with K9007', async () => {
    const dir = tempDir();
    try {
      const policy = yaml.load(await import('node:fs').then((fs) => fs.readFileSync(POLICY, 'utf8'))) as Record<string, any>;
      delete policy.spec.lookups;
      writeFileSync(join(dir, 'policy.yaml'), yaml.dump(policy));
      writeFileSync(join(dir, 'ingress.yaml'), await import('node:fs').then((fs) => fs.readFileSync(TAKEN, 'utf8')));
      writeFileSync(
        join(dir, 'kclguard-test.yaml'),
        yaml.dump({
          apiVersion: 'kclguard.dev/v1alpha1',
          kind: 'KCLGuardTest',
          metadata: { name: 'undeclared' },
          policies: ['policy.yaml'],
          cases: [{ name: 'undeclared kind', resource: 'ingress.yaml', expect: { result: 'failed', message: 'K9007' } }],
        }),
      );
      const r = await capture(() => testMain([dir]));
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fn with lookups', () => {
  test("lookups read the ResourceList's items and --lookup files", async () => {
    const policy = yaml.load(await import('node:fs').then((fs) => fs.readFileSync(POLICY, 'utf8'))) as Record<string, unknown>;
    const ingress = yaml.load(await import('node:fs').then((fs) => fs.readFileSync(TAKEN, 'utf8')));
    const list = { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', functionConfig: policy, items: [ingress] };
    const alone = await capture(() => fnMain([], yaml.dump(list)));
    expect(alone.code).toBe(0);
    const withCluster = await capture(() => fnMain(['--lookup', INGRESSES], yaml.dump(list)));
    expect(withCluster.code).toBe(1);
    expect(withCluster.out).toContain('is already taken');
  });
});
