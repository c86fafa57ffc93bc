/**
 * Loads the example policies (policies/<name>/policy.yaml) and their declarative test files
 * (kclguard-test.yaml), and builds the options a case hands a policy. The format is defined in
 * docs/policy-testing.md; scripts/policy-expectations.py builds the same options for the
 * reference KCL, so both sides of the comparison see identical input.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { testFileProblems, type TestCaseSpec, type TestFileSpec } from '../../src/cli/author/test-file.js';

export const POLICIES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'policies');
export const TEST_FILE = 'kclguard-test.yaml';
export const RESULTS = ['mutated', 'passed', 'violated', 'failed'] as const;
export type CaseResult = (typeof RESULTS)[number];
export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

export type UserInfo = NonNullable<TestCaseSpec['userInfo']>;

/** A case as this KCL-level runner reads it: the format of `kclguard test`, narrowed to four results. */
export type TestCase = Omit<TestCaseSpec, 'expect'> & {
  readonly expect: Omit<TestCaseSpec['expect'], 'result'> & { readonly result: CaseResult };
};

export type TestFile = Omit<TestFileSpec, 'cases'> & { readonly cases: readonly TestCase[] };

export type KubeObject = Record<string, unknown> & {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
};

export interface KclRunDoc extends KubeObject {
  readonly spec?: Record<string, unknown> & {
    readonly source?: unknown;
    readonly params?: unknown;
    readonly mode?: unknown;
    readonly selector?: {
      readonly resourceKind?: string | readonly string[];
      readonly operations?: readonly string[];
      readonly matchLabels?: Record<string, string>;
    };
  };
}

/**
 * Schema errors of a parsed kclguard-test.yaml (empty when valid): the format `kclguard test`
 * reads (src/cli/author/test-file.ts, documented in docs/policy-testing.md), narrowed to what
 * this KCL-level runner can check — one of four results, and a mutation given as an object.
 */
export function testFileErrors(doc: unknown): string[] {
  const problems = testFileProblems(doc);
  if (problems.length > 0) return problems;
  const cases = (doc as TestFile).cases;
  return cases.flatMap((c, i) => {
    const errors: string[] = [];
    if (!(RESULTS as readonly string[]).includes(c.expect.result)) errors.push(`/cases/${i}/expect/result must be one of ${RESULTS.join(', ')} here`);
    if (c.expect.result === 'mutated' && c.expect.object === undefined) errors.push(`/cases/${i}/expect must give the mutated object`);
    return errors;
  });
}

/** The policy packs: folders of policies/ whose policies sit two levels down (<pack>/<level>/<name>). */
export const POLICY_PACKS = ['pod-security'] as const;

/** Every example policy directory, i.e. every folder of policies/ that has a policy.yaml. */
export function listExampleNames(): string[] {
  return readdirSync(POLICIES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(POLICIES_DIR, d.name, 'policy.yaml')))
    .map((d) => d.name)
    .sort();
}

/** The policy directories of the packs, as paths relative to policies/ (`pod-security/baseline/x`). */
export function listPackPolicyNames(): string[] {
  return POLICY_PACKS.flatMap((pack) =>
    readdirSync(join(POLICIES_DIR, pack), { withFileTypes: true })
      .filter((level) => level.isDirectory())
      .flatMap((level) =>
        readdirSync(join(POLICIES_DIR, pack, level.name), { withFileTypes: true })
          .filter((d) => d.isDirectory() && existsSync(join(POLICIES_DIR, pack, level.name, d.name, 'policy.yaml')))
          .map((d) => `${pack}/${level.name}/${d.name}`),
      ),
  ).sort();
}

/** Every policy directory, examples and packs, relative to policies/. */
export function listPolicyNames(): string[] {
  return [...listExampleNames(), ...listPackPolicyNames()];
}

/** All YAML documents of a file (empty documents dropped). */
export function loadYamlDocs(path: string): unknown[] {
  return yaml.loadAll(readFileSync(path, 'utf8')).filter((d) => d !== null && d !== undefined);
}

/** The single YAML document of a file; throws when there is not exactly one. */
export function loadYamlDoc(path: string): unknown {
  const docs = loadYamlDocs(path);
  if (docs.length !== 1) throw new Error(`${path}: expected one YAML document, found ${docs.length}`);
  return docs[0];
}

export interface PolicySuite {
  readonly name: string;
  readonly dir: string;
  readonly testFile: TestFile;
}

export function loadSuite(name: string): PolicySuite {
  const dir = join(POLICIES_DIR, name);
  return { name, dir, testFile: loadYamlDoc(join(dir, TEST_FILE)) as TestFile };
}

export function caseOperation(testCase: TestCase): Operation {
  return testCase.operation ?? 'CREATE';
}

/** The object the policy is asked about: the old object for DELETE, the new one otherwise. */
export function admittedPath(testCase: TestCase): string {
  const path = caseOperation(testCase) === 'DELETE' ? testCase.oldResource : testCase.resource;
  if (!path) throw new Error(`case '${testCase.name}': no ${caseOperation(testCase) === 'DELETE' ? 'oldResource' : 'resource'}`);
  return path;
}

/**
 * The options a policy is run with (DESIGN.md section 1), as docs/policy-testing.md fixes them:
 * items, params, resource_list (functionConfig = the KCLRun with the case's params) and request
 * (the AdmissionRequest without its objects).
 */
export function buildOptions(policy: KclRunDoc, testCase: TestCase, admitted: KubeObject): Record<string, unknown> {
  const params = 'params' in testCase ? testCase.params : (policy.spec?.params ?? {});
  const items = [admitted];
  const functionConfig = structuredClone(policy) as Record<string, unknown> & { spec?: Record<string, unknown> };
  functionConfig.spec = { ...(functionConfig.spec ?? {}), params };
  const apiVersion = admitted.apiVersion ?? '';
  const slash = apiVersion.lastIndexOf('/');
  const request = {
    uid: 'kclguard-test',
    kind: {
      group: slash < 0 ? '' : apiVersion.slice(0, slash),
      version: apiVersion.slice(slash + 1),
      kind: admitted.kind ?? '',
    },
    name: admitted.metadata?.name ?? '',
    namespace: admitted.metadata?.namespace ?? policy.metadata?.namespace ?? '',
    operation: caseOperation(testCase),
    userInfo: testCase.userInfo ?? { username: 'kclguard-test', groups: ['system:authenticated'] },
    dryRun: false,
  };
  return {
    items,
    params,
    resource_list: { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items, functionConfig },
    request,
  };
}

/** Kinds named by a selector's resourceKind (a string or a list); undefined means any. */
export function selectorKinds(policy: KclRunDoc): string[] | undefined {
  const kinds = policy.spec?.selector?.resourceKind;
  if (kinds === undefined) return undefined;
  return typeof kinds === 'string' ? [kinds] : [...kinds];
}

/** Operations a selector admits; DESIGN.md's default is CREATE and UPDATE. */
/**
 * The objects `kube.get` / `kube.list` read in a case: the case's `lookups` files, else the test
 * file's (`kind: List` unpacked) — what scripts/policy-expectations.py hands the reference's stub.
 */
export function lookupObjects(suite: PolicySuite, testCase: TestCase): KubeObject[] {
  const unpack = (doc: unknown): KubeObject[] => {
    const o = doc as KubeObject & { items?: unknown };
    return String(o.kind ?? '').endsWith('List') && Array.isArray(o.items) ? o.items.flatMap(unpack) : [o];
  };
  const paths = testCase.lookups ?? suite.testFile.lookups ?? [];
  return paths.flatMap((p) => loadYamlDocs(join(suite.dir, p))).flatMap(unpack);
}

export function selectorOperations(policy: KclRunDoc): string[] {
  return [...(policy.spec?.selector?.operations ?? ['CREATE', 'UPDATE'])];
}
