/**
 * Runs the cases of one kclguard-test.yaml through the offline engine (the webhook's code path)
 * and judges each against its `expect`, with a readable diff when it does not match.
 */
import type { PolicyDocument } from '../../engine/index.js';
import type { RbacIndex, SourceResolver } from '../../engine/index.js';
import { jsonDiff } from './diff.js';
import { describeCliError, InputError } from '../errors.js';
import { isObject, readSingleObject, readYamlDocs } from './files.js';
import { isNamespaceDocument, isPolicyDocument, OfflineEngine, type OfflineResult, type PolicyReport } from './offline-engine.js';
import { loadRbac } from './rbac-files.js';
import { loadLookupObjects } from './lookup-files.js';
import { buildAdmissionRequest } from './request.js';
import { loadTestFile, resolveIn, type LoadedTestFile, type TestCaseSpec } from './test-file.js';

export interface CaseReport {
  /** `<test file> > <case name>`. */
  readonly name: string;
  readonly ok: boolean;
  /** Why it failed: expectation lines and diffs. */
  readonly details: readonly string[];
}

interface FileContext {
  readonly file: LoadedTestFile;
  readonly policies: readonly PolicyDocument[];
  readonly namespaces: readonly unknown[];
  readonly rbac?: RbacIndex;
  /** The objects lookups read in every case (the file's `lookups:`). */
  readonly lookups: readonly unknown[];
}

function loadContext(file: LoadedTestFile): FileContext {
  const policies: PolicyDocument[] = [];
  const namespaces: unknown[] = [];
  for (const relative of file.spec.policies) {
    const path = resolveIn(file, relative);
    const docs = readYamlDocs(path);
    const found = docs.filter(isPolicyDocument);
    if (found.length === 0) throw new InputError('C2006', { path });
    policies.push(...found.map((doc) => ({ doc, origin: path })));
    namespaces.push(...docs.filter(isNamespaceDocument));
  }
  for (const relative of file.spec.namespaces ?? []) namespaces.push(...readYamlDocs(resolveIn(file, relative)).filter(isNamespaceDocument));
  const rbac = file.spec.rbac && file.spec.rbac.length > 0 ? loadRbac(file.spec.rbac.map((r) => resolveIn(file, r))) : undefined;
  const lookups = loadLookupObjects((file.spec.lookups ?? []).map((l) => resolveIn(file, l)));
  return { file, policies, namespaces, rbac, lookups };
}

/** The policies with `spec.params` replaced by the case's params (every policy of the file). */
function withParams(policies: readonly PolicyDocument[], params: unknown): PolicyDocument[] {
  return policies.map(({ doc, origin }) => {
    const copy = structuredClone(doc) as { spec?: Record<string, unknown> };
    copy.spec = { ...(copy.spec ?? {}), params };
    return { doc: copy, origin };
  });
}

function targetPolicy(result: OfflineResult, testCase: TestCaseSpec): PolicyReport {
  const wanted = testCase.expect.policy;
  if (wanted === undefined) {
    if (result.policies.length !== 1) {
      throw new InputError('C2011', { count: result.policies.length, policies: result.policies.map((p) => p.policy).join(', ') });
    }
    return result.policies[0]!;
  }
  const found = result.policies.find((p) => p.policy === wanted || p.policy.endsWith(`/${wanted}`));
  if (!found) throw new InputError('C2012', { policy: wanted, policies: result.policies.map((p) => p.policy).join(', ') });
  return found;
}

function readExpectedPatch(path: string): unknown {
  const docs = readYamlDocs(path);
  if (docs.length !== 1 || !Array.isArray(docs[0])) throw new InputError('C2013', { path });
  return docs[0];
}

function judge(ctx: FileContext, testCase: TestCaseSpec, result: OfflineResult): string[] {
  const { expect } = testCase;
  const problems: string[] = [];
  const policy = targetPolicy(result, testCase);
  if (policy.result !== expect.result) {
    problems.push(`expected result ${expect.result}, got ${policy.result}${policy.action ? ` (failureAction ${policy.action})` : ''}${policy.reason ? `: ${policy.reason}` : ''}`);
  }
  if (expect.message !== undefined) {
    const haystack = [policy.reason ?? '', result.status?.message ?? ''].join('\n');
    if (!haystack.includes(expect.message)) problems.push(`expected message containing ${JSON.stringify(expect.message)}, got ${JSON.stringify(policy.reason ?? '')}`);
  }
  if (expect.allowed !== undefined && expect.allowed !== result.allowed) {
    problems.push(`expected the request to be ${expect.allowed ? 'allowed' : 'denied'}, it was ${result.allowed ? 'allowed' : `denied: ${result.status?.message ?? ''}`}`);
  }
  if (expect.warning !== undefined && !result.warnings.some((w) => w.includes(expect.warning!))) {
    problems.push(`expected a warning containing ${JSON.stringify(expect.warning)}, got ${JSON.stringify(result.warnings)}`);
  }
  if (expect.object !== undefined) {
    const path = resolveIn(ctx.file, expect.object);
    const diff = jsonDiff(readSingleObject(path, 'expected object'), result.object);
    if (diff.length > 0) problems.push(`resulting object differs from ${expect.object} (- expected, + got):`, ...diff.map((l) => `  ${l}`));
  }
  if (expect.patch !== undefined) {
    const diff = jsonDiff(readExpectedPatch(resolveIn(ctx.file, expect.patch)), result.patch);
    if (diff.length > 0) problems.push(`patch differs from ${expect.patch} (- expected, + got):`, ...diff.map((l) => `  ${l}`));
  }
  if (problems.length > 0 && policy.printed) problems.push('print() output:', ...policy.printed.replace(/\n$/, '').split('\n').map((l) => `  | ${l}`));
  if (problems.length > 0 && policy.logs) problems.push('log output:', ...policy.logs.map((l) => `  | ${l}`));
  return problems;
}

export interface TestRunOptions {
  /** Append the engine's trace (selection, ServiceAccount checks) to a failing case's details. */
  readonly trace?: boolean;
  /** Pulls oci:// sources and dependencies. */
  readonly resolver?: SourceResolver;
}

async function runCase(ctx: FileContext, testCase: TestCaseSpec, options: TestRunOptions): Promise<string[]> {
  const policies = 'params' in testCase ? withParams(ctx.policies, testCase.params) : ctx.policies;
  // A case's own `lookups` replace the file's, as its `params` replace the policy's.
  const lookups = testCase.lookups ? loadLookupObjects(testCase.lookups.map((l) => resolveIn(ctx.file, l))) : ctx.lookups;
  const engine = await OfflineEngine.create({ policies, namespaces: ctx.namespaces, rbac: ctx.rbac, lookups, ...(options.resolver ? { resolver: options.resolver } : {}) });
  const operation = testCase.operation ?? 'CREATE';
  const object = testCase.resource !== undefined && operation !== 'DELETE' ? readSingleObject(resolveIn(ctx.file, testCase.resource), 'resource') : undefined;
  const old = testCase.oldResource !== undefined ? readSingleObject(resolveIn(ctx.file, testCase.oldResource), 'old resource') : undefined;
  const admission = buildAdmissionRequest({
    operation,
    object,
    oldObject: isObject(old) ? old : undefined,
    userInfo: testCase.userInfo,
    defaultNamespace: engine.defaultNamespace(),
  });
  const result = await engine.evaluate(admission);
  const problems = judge(ctx, testCase, result);
  if (problems.length > 0 && options.trace) problems.push('trace:', ...result.trace.map((t) => `  ${t}`));
  return problems;
}

/** Every case of one test file; a file that cannot be loaded is one failed report. */
export async function runTestFile(path: string, options: TestRunOptions = {}): Promise<CaseReport[]> {
  let ctx: FileContext;
  try {
    ctx = loadContext(loadTestFile(path));
  } catch (error) {
    if (error instanceof InputError) return [{ name: path, ok: false, details: [describeCliError(error)] }];
    throw error;
  }
  const reports: CaseReport[] = [];
  for (const testCase of ctx.file.spec.cases) {
    const name = `${path} > ${testCase.name}`;
    try {
      const details = await runCase(ctx, testCase, options);
      reports.push({ name, ok: details.length === 0, details });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      reports.push({ name, ok: false, details: [describeCliError(error)] });
    }
  }
  return reports;
}
