import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Authorizer } from './authorizer.js';
import { createLocalEngine, type LocalEngine } from './local-engine.js';
import { FakeCompiler } from './testing/fake-compiler.js';
import { clusterKclRun, kclRun, pod, request } from './testing/fixtures.js';

let engine: LocalEngine | undefined;
let dir: string | undefined;

afterEach(async () => {
  engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  engine = undefined;
  dir = undefined;
});

describe('createLocalEngine', () => {
  it('wires the directory policies, its Namespaces and a cached authorizer into one handler', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kclguard-local-engine-'));
    const docs = [
      clusterKclRun('prod-only', {
        source: JSON.stringify({ annotate: { prod: 'yes' } }),
        selector: { namespaceSelector: { matchLabels: { env: 'prod' } } },
        serviceAccountName: 'm',
        serviceAccountNamespace: 'ops',
      }),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { env: 'prod' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'locked', labels: { env: 'prod' }, annotations: { canMutate: 'nobody' } } },
    ];
    await writeFile(join(dir, 'all.yaml'), docs.map((d) => yaml.dump(d)).join('---\n'));
    let authorizerCalls = 0;
    const authorizer: Authorizer = async () => {
      authorizerCalls += 1;
      return true;
    };
    engine = await createLocalEngine({ dir, compiler: new FakeCompiler(), authorizer, watch: false });
    expect(engine.initialReport.problems).toEqual([]);
    expect(engine.initialReport.namespaces).toBe(2);

    const shop = await engine.handler(request({ object: pod('web', 'shop') }));
    expect(shop.outcomes[0]!.result).toBe('mutated');
    await engine.handler(request({ object: pod('web', 'shop') }));
    expect(authorizerCalls).toBe(1);

    expect((await engine.handler(request({ object: pod('web', 'dev') }))).outcomes[0]!.result).toBe('not_selected');
    expect((await engine.handler(request({ object: pod('web', 'locked') }))).outcomes[0]!.result).toBe('not_consented');
  });
});

describe('RBAC manifests in the policy directory (local mode)', () => {
  it("answer the ServiceAccount and exempt checks, so a tenant's veto counts only with exempt", async () => {
    dir = await mkdtemp(join(tmpdir(), 'kclguard-local-rbac-'));
    const guard = clusterKclRun('guard', { source: JSON.stringify({ assert: 'not allowed' }), mode: 'Validate' });
    const rbac = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'exempt-guard' },
        rules: [{ apiGroups: ['krm.kcl.dev'], resources: ['clusterkclruns'], resourceNames: ['guard'], verbs: ['exempt'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'oncall-exempt-guard' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'exempt-guard' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oncall' }],
      },
    ];
    await writeFile(join(dir, 'policies.yaml'), [guard, ...rbac].map((d) => yaml.dump(d)).join('---\n'));
    engine = await createLocalEngine({ dir, compiler: new FakeCompiler(), watch: false });
    const vetoed = pod('web', 'team-a', { annotations: { canValidate: '' } });
    const tenant = await engine.handler({ ...request({ phase: 'validate', object: vetoed }), userInfo: { username: 'alice', groups: ['team-a'] } });
    expect(tenant.allowed).toBe(false);
    const oncall = await engine.handler({ ...request({ phase: 'validate', object: vetoed }), userInfo: { username: 'bob', groups: ['oncall'] } });
    expect(oncall.allowed).toBe(true);
  });

  it("without any, lets every ServiceAccount act but nobody exempt: a tenant's veto does not count", async () => {
    // Allow-all is the enforcing answer for a policy's ServiceAccount, but for `exempt` it would let
    // anyone who writes an annotation past every guardrail of a local-mode server.
    dir = await mkdtemp(join(tmpdir(), 'kclguard-local-norbac-'));
    const guard = clusterKclRun('guard', { source: JSON.stringify({ assert: 'not allowed' }), mode: 'Validate' });
    const stamp = kclRun('stamp', 'team-a', { source: JSON.stringify({ annotate: { stamped: 'yes' } }), serviceAccountName: 'anyone' });
    await writeFile(join(dir, 'policies.yaml'), [guard, stamp].map((d) => yaml.dump(d)).join('---\n'));
    engine = await createLocalEngine({ dir, compiler: new FakeCompiler(), watch: false });
    const vetoed = pod('web', 'team-a', { annotations: { canValidate: '' } });
    const decision = await engine.handler({ ...request({ phase: 'validate', object: vetoed }), userInfo: { username: 'admin', groups: ['system:masters'] } });
    expect(decision.allowed).toBe(false);
    expect((await engine.handler(request({ object: pod('web', 'team-a') }))).outcomes.find((o) => o.policy === 'team-a/stamp')?.result).toBe('mutated');
  });
});
