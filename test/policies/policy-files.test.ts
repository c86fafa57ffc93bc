/**
 * The example policies as files: every policy.yaml is a KCLRun the engine accepts, every
 * kclguard-test.yaml follows docs/policy-testing.md, every file a case names exists, and every
 * case's object is one its policy selects (so `kclguard test` reaches the policy at all).
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parsePolicy } from '../../src/engine/schema.js';
import {
  POLICIES_DIR,
  admittedPath,
  caseOperation,
  listExampleNames,
  listPackPolicyNames,
  listPolicyNames,
  loadSuite,
  loadYamlDoc,
  loadYamlDocs,
  selectorKinds,
  selectorOperations,
  testFileErrors,
  type KclRunDoc,
  type KubeObject,
  type TestCase,
} from './policy-suite.js';

const names = listPolicyNames();
const examples = listExampleNames();
const packPolicies = new Set(listPackPolicyNames());

function identity(object: KubeObject): unknown[] {
  return [object.apiVersion, object.kind, object.metadata?.name, object.metadata?.namespace];
}

function caseFiles(testCase: TestCase): string[] {
  return [testCase.resource, testCase.oldResource, testCase.expect.object].filter((f): f is string => !!f);
}

describe('example policies', () => {
  test('there are at least 18, about half of them mutations', () => {
    expect(examples.length).toBeGreaterThanOrEqual(18);
    const modes = examples.map((n) => (loadYamlDoc(join(POLICIES_DIR, n, 'policy.yaml')) as KclRunDoc).spec?.mode);
    const mutations = modes.filter((m) => m === 'Auto').length;
    expect(mutations).toBeGreaterThanOrEqual(Math.floor(examples.length / 3));
    expect(examples.length - mutations).toBeGreaterThanOrEqual(Math.floor(examples.length / 3));
  });

  test('policies/namespaces.yaml defines every namespace a policy lives in', () => {
    const namespaces = loadYamlDocs(join(POLICIES_DIR, 'namespaces.yaml')) as KubeObject[];
    expect(namespaces.every((n) => n.apiVersion === 'v1' && n.kind === 'Namespace')).toBe(true);
    const defined = new Set(namespaces.map((n) => n.metadata?.name));
    const used = examples.map((n) => loadYamlDoc(join(POLICIES_DIR, n, 'policy.yaml')) as KclRunDoc).filter((p) => p.kind === 'KCLRun').map((p) => p.metadata?.namespace);
    expect(used.filter((ns) => !defined.has(ns))).toEqual([]);
  });
});

describe('the test file schema', () => {
  const valid = {
    apiVersion: 'kclguard.dev/v1alpha1',
    kind: 'KCLGuardTest',
    metadata: { name: 'p' },
    policies: ['policy.yaml'],
    cases: [{ name: 'c', resource: 'r.yaml', expect: { result: 'mutated', object: 'o.yaml' } }],
  };
  const withCase = (c: Record<string, unknown>) => ({ ...valid, cases: [c] });

  test('accepts a minimal file', () => {
    expect(testFileErrors(valid)).toEqual([]);
  });

  test.each([
    ['an unknown case field', withCase({ name: 'c', resource: 'r.yaml', resources: 'x', expect: { result: 'passed' } })],
    ['an unknown result', withCase({ name: 'c', resource: 'r.yaml', expect: { result: 'denied' } })],
    ['a mutation without an object', withCase({ name: 'c', resource: 'r.yaml', expect: { result: 'mutated' } })],
    ['a violation without a message', withCase({ name: 'c', resource: 'r.yaml', expect: { result: 'violated' } })],
    ['a passed case with an object', withCase({ name: 'c', resource: 'r.yaml', expect: { result: 'passed', object: 'o.yaml' } })],
    ['a DELETE without oldResource', withCase({ name: 'c', operation: 'DELETE', resource: 'r.yaml', expect: { result: 'passed' } })],
    ['a CREATE without resource', withCase({ name: 'c', oldResource: 'r.yaml', expect: { result: 'passed' } })],
    ['a wrong kind', { ...valid, kind: 'KyvernoTest' }],
  ])('rejects %s', (_what, doc) => {
    expect(testFileErrors(doc).length).toBeGreaterThan(0);
  });
});

describe.each(names)('%s', (name) => {
  const dir = join(POLICIES_DIR, name);
  const policy = loadYamlDoc(join(dir, 'policy.yaml')) as KclRunDoc;

  // Most examples are KCLRuns acting in their namespace as their ServiceAccount; the lookup
  // examples are ClusterKCLRuns with a ServiceAccount; a pack's policies are ClusterKCLRuns (a
  // cluster-wide baseline an admin installs, acting with kclguard's authority).
  const inPack = packPolicies.has(name);

  test('policy.yaml is a KCLRun (or a ClusterKCLRun: with a ServiceAccount, or in a pack) with inline source that the engine accepts', () => {
    expect(policy.apiVersion).toBe('krm.kcl.dev/v1alpha1');
    expect(inPack ? ['ClusterKCLRun'] : ['KCLRun', 'ClusterKCLRun']).toContain(policy.kind);
    expect(policy.metadata?.name).toBe(basename(name));
    if (policy.kind === 'KCLRun') expect(typeof policy.metadata?.namespace).toBe('string');
    else expect(policy.metadata?.namespace).toBeUndefined();
    if (policy.kind === 'ClusterKCLRun' && !inPack) expect(typeof policy.spec?.serviceAccountNamespace).toBe('string');
    expect(typeof policy.spec?.source).toBe('string');
    expect(String(policy.spec?.source).trim()).not.toBe('');
    expect(policy.spec?.mode === 'Auto' || policy.spec?.mode === 'Validate').toBe(true);
    if (!inPack) expect(typeof policy.spec?.serviceAccountName).toBe('string');
    expect(selectorKinds(policy)?.length ?? 0).toBeGreaterThan(0);
    const parsed = parsePolicy(policy);
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
  });

  test('kclguard-test.yaml follows the test file format', () => {
    const doc = loadYamlDoc(join(dir, 'kclguard-test.yaml'));
    expect(testFileErrors(doc)).toEqual([]);
    const { testFile } = loadSuite(name);
    expect(testFile.metadata.name).toBe(basename(name));
    expect(testFile.policies).toEqual(['policy.yaml']);
    const caseNames = testFile.cases.map((c) => c.name);
    expect(new Set(caseNames).size).toBe(caseNames.length);
  });

  test('has a good and a bad (or otherwise different) case', () => {
    const results = new Set(loadSuite(name).testFile.cases.map((c) => c.expect.result));
    expect(results.size).toBeGreaterThanOrEqual(2);
    // A mutation policy shows a mutation; a validation policy both admits and denies.
    if (policy.spec?.mode === 'Auto') expect(results.has('mutated')).toBe(true);
    else expect([results.has('passed'), results.has('violated'), results.has('mutated')]).toEqual([true, true, false]);
  });

  test('every file a case or the test file names exists and holds one object; mutations change it', () => {
    const { testFile } = loadSuite(name);
    const referenced = [
      ...testFile.policies,
      ...(testFile.namespaces ?? []),
      ...(testFile.rbac ?? []),
      ...(testFile.lookups ?? []),
      ...testFile.cases.flatMap((c) => [...caseFiles(c), ...(c.lookups ?? [])]),
    ];
    expect(referenced.filter((f) => !existsSync(join(dir, f)))).toEqual([]);
    for (const testCase of testFile.cases) {
      if (testCase.expect.object) {
        const before = loadYamlDoc(join(dir, admittedPath(testCase)));
        const after = loadYamlDoc(join(dir, testCase.expect.object));
        expect({ case: testCase.name, objectEqualsInput: isDeepStrictEqual(before, after) }).toEqual({
          case: testCase.name,
          objectEqualsInput: false,
        });
        // The engine treats a patch of the identity fields as a policy failure (DESIGN section 1).
        expect(identity(after as KubeObject)).toEqual(identity(before as KubeObject));
      }
      for (const file of caseFiles(testCase)) {
        const object = loadYamlDoc(join(dir, file)) as KubeObject;
        expect({ file, kind: typeof object.kind, name: typeof object.metadata?.name }).toEqual({
          file,
          kind: 'string',
          name: 'string',
        });
      }
    }
  });

  test('every file in resources/ is used by a case', () => {
    const used = new Set(loadSuite(name).testFile.cases.flatMap(caseFiles));
    const present = readdirSync(join(dir, 'resources')).map((f) => `resources/${f}`);
    expect(present.filter((f) => !used.has(f))).toEqual([]);
  });

  test("every case's object is selected by the policy", () => {
    const kinds = selectorKinds(policy);
    const operations = selectorOperations(policy);
    const matchLabels = policy.spec?.selector?.matchLabels ?? {};
    const problems: string[] = [];
    for (const testCase of loadSuite(name).testFile.cases) {
      const object = loadYamlDoc(join(dir, admittedPath(testCase))) as KubeObject;
      // Labels select as the engine (and the API server's objectSelector) does: an UPDATE when
      // the new or the old object matches, so a case may take a selecting label off.
      const labelled = [object];
      if (caseOperation(testCase) === 'UPDATE' && testCase.oldResource) labelled.push(loadYamlDoc(join(dir, testCase.oldResource)) as KubeObject);
      if (kinds && !kinds.includes(String(object.kind))) problems.push(`${testCase.name}: kind ${object.kind}`);
      if (!operations.includes(caseOperation(testCase))) problems.push(`${testCase.name}: operation ${caseOperation(testCase)}`);
      // A pack's ClusterKCLRun acts in every namespace but the excluded ones (the cases use default).
      const namespace = policy.kind === 'KCLRun' ? policy.metadata?.namespace : inPack ? 'default' : undefined;
      if (namespace !== undefined && object.metadata?.namespace !== namespace) {
        problems.push(`${testCase.name}: namespace ${object.metadata?.namespace}`);
      }
      const matches = (o: KubeObject): boolean => Object.entries(matchLabels).every(([key, value]) => o.metadata?.labels?.[key] === value);
      if (!labelled.some(matches)) problems.push(`${testCase.name}: labels ${Object.keys(matchLabels).join(', ')}`);
    }
    expect(problems).toEqual([]);
  });
});
