/**
 * Runs one kclguard-test.yaml case through our KCL library (compile once per policy, run per
 * case) and judges the outcome against the case's `expect`, as docs/policy-testing.md defines.
 * This is the KCL-level check; `kclguard test` runs the same files through the whole engine.
 */
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import {
  compile,
  formatDiagnosticShort,
  toKcl,
  toPlain,
  type Diagnostic,
  type ErrorCode,
  type Program,
  type Value,
} from '../../src/kcl/index.js';
import { admittedPath, buildOptions, loadYamlDoc, lookupObjects, type CaseResult, type KclRunDoc, type KubeObject, type PolicySuite, type TestCase } from './policy-suite.js';
import { KUBE_MODULE } from '../../src/engine/lookups/kube-module.js';
import { lookupClient } from '../../src/engine/lookups/lookup-client.js';
import { StaticLookupSource } from '../../src/engine/lookups/lookup-source.js';
import { Lookups } from '../../src/engine/lookups/lookups.js';
import { parsePolicy } from '../../src/engine/schema.js';
import { offlineKindInfo } from '../../src/cli/author/request.js';

/** Diagnostics that mean "the object breaks the rule": a failed assert or schema check. */
const VIOLATION_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['E3M41', 'E3M40']);

export interface CompiledSuite {
  readonly suite: PolicySuite;
  readonly policy: KclRunDoc;
  readonly program?: Program;
  /** Set when the policy's source does not compile. */
  readonly compileError?: string;
}

export function compileSuite(suite: PolicySuite): CompiledSuite {
  const policy = loadYamlDoc(join(suite.dir, suite.testFile.policies[0])) as KclRunDoc;
  // Policies may `import kube`: the module is there, answered per case from its lookup objects.
  const compiled = compile(String(policy.spec?.source ?? ''), `${suite.name}/policy.yaml#spec.source`, { hostModules: [KUBE_MODULE] });
  if (compiled.ok) return { suite, policy, program: compiled.program };
  return { suite, policy, compileError: compiled.diagnostics.map(formatDiagnosticShort).join('\n') };
}

export interface Outcome {
  readonly result: CaseResult;
  /** items[0] of a successful run. */
  readonly object?: unknown;
  /** The diagnostic of a failed run: its message and its related messages, one per line. */
  readonly message?: string;
  readonly code?: ErrorCode;
}

function diagnosticText(d: Diagnostic): string {
  return [d.message, ...(d.related ?? []).map((r) => r.message)].join('\n');
}

/**
 * kube.get / kube.list over the case's lookup objects, as kclguard answers them (declared kinds,
 * the policy's namespace; no RBAC at this level — the reference's stub has none either).
 */
function kubeHost(compiled: CompiledSuite, testCase: TestCase) {
  const parsed = parsePolicy(compiled.policy);
  if (!parsed.ok) return undefined;
  const lookups = new Lookups({ source: new StaticLookupSource(lookupObjects(compiled.suite, testCase), offlineKindInfo), syncAuthorizer: () => true });
  return lookupClient((policy, call, ms) => lookups.answerNow(policy, call, ms), lookups.limits)(parsed.policy, 0);
}

export function runCase(compiled: CompiledSuite, testCase: TestCase): Outcome {
  if (!compiled.program) return { result: 'failed', message: compiled.compileError };
  const admitted = loadYamlDoc(join(compiled.suite.dir, admittedPath(testCase))) as KubeObject;
  const options: Record<string, Value> = {};
  for (const [key, value] of Object.entries(buildOptions(compiled.policy, testCase, admitted))) {
    options[key] = toKcl(value);
  }
  const run = compiled.program.run({ options, host: kubeHost(compiled, testCase) });
  if (!run.ok) {
    const { diagnostic } = run;
    return {
      result: VIOLATION_CODES.has(diagnostic.code) ? 'violated' : 'failed',
      message: `${formatDiagnosticShort(diagnostic)}\n${diagnosticText(diagnostic)}`,
      code: diagnostic.code,
    };
  }
  const items = run.exports.has('items') ? toPlain(run.exports.get('items')!) : undefined;
  if (!Array.isArray(items) || items.length !== 1 || typeof items[0] !== 'object' || items[0] === null) {
    return { result: 'failed', message: `output is not one object in items: ${JSON.stringify(items)}` };
  }
  return { result: isDeepStrictEqual(items[0], admitted) ? 'passed' : 'mutated', object: items[0] };
}

/** Why an outcome does not meet the case's expectation; undefined when it does. */
export function judge(compiled: CompiledSuite, testCase: TestCase, outcome: Outcome): string | undefined {
  // Every example compiles on the reference, so a compile error is wrong even where the case
  // expects `failed` (that result is about running the policy on this case's input).
  if (compiled.compileError !== undefined) return `policy does not compile: ${compiled.compileError}`;
  const { expect } = testCase;
  if (outcome.result !== expect.result) {
    return `expected ${expect.result}, got ${outcome.result}${outcome.message ? `: ${outcome.message}` : ''}`;
  }
  if (expect.message !== undefined && !(outcome.message ?? '').includes(expect.message)) {
    return `message ${JSON.stringify(expect.message)} not in: ${outcome.message}`;
  }
  if (outcome.result === 'mutated' && expect.object !== undefined) {
    const wanted = loadYamlDoc(join(compiled.suite.dir, expect.object));
    if (!isDeepStrictEqual(outcome.object, wanted)) {
      return `items[0] differs from ${expect.object}: ${JSON.stringify(outcome.object)}`;
    }
  }
  return undefined;
}
