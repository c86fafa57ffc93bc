/**
 * The KRM function (`kclguard fn`), with krm-kcl's semantics: the program runs ONCE and sees
 * every item of the ResourceList — `option("items")` (all items but KCLRun documents, filtered
 * only by `spec.matchConstraints.resourceRules`, as krm-kcl filters), `option("params")` and
 * `option("resource_list")` — and its output (`items`, or a single document) becomes the items.
 *
 * Admission scoping is for admission: `spec.selector`, a KCLRun's own-namespace scope, consent
 * annotations and the ServiceAccount check decide what the webhook acts on, not what a function
 * run over files sees. Where the webhook would have acted differently, an `info` result says so
 * (how many items it would not have selected, and why), so the difference is never silent.
 *
 * | program outcome                  | items                       | result severity            |
 * | output differs (mode Auto)       | the output items            | info                       |
 * | assert / check failed            | unchanged                   | error (exit 1) with Deny;  |
 * |                                  |                             | warning with Warn; info    |
 * |                                  |                             | with Audit alone           |
 * | failed, failureAction abort      | unchanged                   | error (exit 1)             |
 * | failed, failureAction warn       | unchanged                   | warning                    |
 * | failed, failureAction skip       | unchanged                   | info                       |
 * | output differs (mode Validate)   | unchanged                   | warning (output ignored)   |
 */
import { ErrorCodes, formatDiagnosticShort } from '../../kcl/index.js';
import { kclCompiler, matchesResourceRules, programFilename, whyNotSelected, lookupClient, Lookups, StaticLookupSource, type EngineRequest, type PolicyDefinition, type PolicyProgram, type SourceResolver } from '../../engine/index.js';
import { isObject } from './files.js';
import { compilePolicies } from './offline-engine.js';
import { buildAdmissionRequest, engineRequestFor, offlineKindInfo } from './request.js';
import type { HostCallHandler } from '../../kcl/index.js';

type JsonObject = Record<string, unknown>;

export type Severity = 'error' | 'warning' | 'info';

export interface KrmResult {
  readonly message: string;
  readonly severity: Severity;
  readonly resourceRef?: { apiVersion: string; kind: string; name: string; namespace?: string };
  readonly file?: { path: string; index?: number };
}

export interface FunctionOutput {
  readonly items: unknown[];
  readonly results: KrmResult[];
  /** Whether any result is an error: the function exits 1. */
  readonly failed: boolean;
}

const KCLRUN_API_PREFIX = 'krm.kcl.dev/';
const RESOURCE_LIST_API_VERSION = 'config.kubernetes.io/v1';
/** Assert and check failures: the items break the rule (as opposed to the rule not running). */
const VIOLATIONS = new Set(['E3M41', 'E3M40']);

function isKubeObject(item: unknown): item is JsonObject {
  return isObject(item) && typeof item.apiVersion === 'string' && typeof item.kind === 'string';
}

function isPolicyItem(item: JsonObject): boolean {
  return String(item.apiVersion).startsWith(KCLRUN_API_PREFIX) && (item.kind === 'KCLRun' || item.kind === 'ClusterKCLRun');
}

/** An item as the webhook would see it: a CREATE of the object in the policy's namespace. */
function requestFor(policy: PolicyDefinition, item: JsonObject): EngineRequest {
  return engineRequestFor(buildAdmissionRequest({ operation: 'CREATE', object: item, defaultNamespace: policy.identity.namespace ?? 'default' }), 'mutate');
}

/** Why the webhook would not act on each given item, counted by reason. */
function admissionDifference(policy: PolicyDefinition, items: readonly JsonObject[]): KrmResult | undefined {
  const reasons = new Map<string, number>();
  for (const item of items) {
    const request = requestFor(policy, item);
    const why = whyNotSelected(policy, request);
    if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  if (reasons.size === 0) return undefined;
  const count = [...reasons.values()].reduce((a, b) => a + b, 0);
  const detail = [...reasons].map(([why, n]) => `${n}: ${why}`).join('; ');
  return {
    severity: 'info',
    message:
      `policy ${policy.identity.key} saw all ${items.length} items (krm-kcl semantics); as a webhook it would not act on ` +
      `${count} of them (${detail})`,
  };
}

/** The items a program produced: `items`, a single document, or nothing (a pure validation). */
function outputItems(exports: ReadonlyMap<string, unknown>): unknown[] | string | undefined {
  if (exports.has('items')) {
    const items = exports.get('items');
    if (!Array.isArray(items)) return 'output items is not a list';
    const bad = items.findIndex((i) => !isKubeObject(i));
    return bad >= 0 ? `output items[${bad}] is not a Kubernetes object (apiVersion and kind)` : items;
  }
  if (exports.size === 0) return undefined;
  if (exports.has('apiVersion') && exports.has('kind')) return [Object.fromEntries(exports)];
  return 'output has no items list and is not a single document';
}

function failureResult(policy: PolicyDefinition, reason: string): KrmResult {
  const action = policy.spec.failureAction;
  const severity: Severity = action === 'abort' ? 'error' : action === 'warn' ? 'warning' : 'info';
  return { severity, message: `policy ${policy.identity.key} failed (failureAction ${action}): ${reason}` };
}

/**
 * A violation is an error only when the policy denies (validationActions Deny); a policy rolled
 * out with Warn reports a warning and one with Audit alone an info result, as the webhook would
 * admit the object with a warning or an audit annotation.
 */
function violationResult(policy: PolicyDefinition, message: string): KrmResult {
  const actions = policy.spec.validationActions;
  const severity: Severity = actions.includes('Deny') ? 'error' : actions.includes('Warn') ? 'warning' : 'info';
  return { severity, message: actions.includes('Deny') ? message : `${message} [validationActions ${actions.join(', ')}]` };
}

/**
 * Lookups of a function run read the ResourceList's own items plus the `--lookup` objects: the
 * package is the cluster a function sees. There is no RBAC offline here: every read is allowed.
 */
function functionLookups(policy: PolicyDefinition, items: readonly unknown[], extra: readonly unknown[]): HostCallHandler {
  const lookups = new Lookups({ source: new StaticLookupSource([...items, ...extra], offlineKindInfo), syncAuthorizer: () => true });
  return lookupClient((p, call, ms) => lookups.answerNow(p, call, ms), lookups.limits)(policy, 0);
}

function runProgram(policy: PolicyDefinition, program: PolicyProgram, given: JsonObject[], manifest: JsonObject, host: HostCallHandler): { items?: unknown[]; result?: KrmResult } {
  const options = {
    items: given,
    params: policy.spec.params,
    resource_list: { apiVersion: RESOURCE_LIST_API_VERSION, kind: 'ResourceList', items: given, functionConfig: manifest },
  };
  const run = program.run(options, { timeoutMs: policy.spec.timeoutMillis }, undefined, host);
  if (!run.ok) {
    const d = run.diagnostic;
    if (VIOLATIONS.has(d.code)) return { result: violationResult(policy, `${d.message} (policy ${policy.identity.key}, ${d.code} ${ErrorCodes[d.code]})`) };
    return { result: failureResult(policy, formatDiagnosticShort(d)) };
  }
  const out = outputItems(run.exports);
  if (typeof out === 'string') return { result: failureResult(policy, out) };
  return { items: out };
}

function changed(a: readonly unknown[], b: readonly unknown[]): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

export async function runFunction(functionConfig: JsonObject, items: readonly unknown[], resolver?: SourceResolver, lookupObjects: readonly unknown[] = []): Promise<FunctionOutput> {
  // The engine validates the manifest and resolves an oci:// source (either failing is an input
  // error, exit 2); the program runs here, once, rather than per item through the admission handler.
  const snapshot = (await compilePolicies([{ doc: functionConfig, origin: 'functionConfig' }], resolver)).snapshot();
  const policy = snapshot.policies[0]!.definition!;
  const compiled = policy.resolved ? kclCompiler.compilePackage!(policy.resolved) : kclCompiler.compile(policy.spec.source, programFilename(policy.identity));
  const results: KrmResult[] = [];
  const given: JsonObject[] = [];
  const kept: unknown[] = [];
  for (const item of items) {
    if (isKubeObject(item) && !isPolicyItem(item) && matchesResourceRules(policy.spec.resourceRules, requestFor(policy, item))) given.push(item);
    else kept.push(item);
  }
  if (kept.length > 0) {
    results.push({
      severity: 'info',
      message: `${kept.length} item(s) were not given to policy ${policy.identity.key} (KCLRun documents, non-objects, or outside spec.matchConstraints) and are passed through unchanged`,
    });
  }
  const difference = admissionDifference(policy, given);
  if (difference) results.push(difference);
  // A source that does not compile fails like a program that fails, under failureAction.
  const { items: produced, result } = compiled.ok
    ? runProgram(policy, compiled.program, given, functionConfig, functionLookups(policy, items, lookupObjects))
    : { items: undefined, result: failureResult(policy, compiled.diagnostics.map((d) => formatDiagnosticShort(d)).join('; ')) };
  if (result) results.push(result);
  let outItems: unknown[] = [...items];
  if (produced && changed(produced, given)) {
    if (policy.spec.mode === 'Validate') {
      results.push({ severity: 'warning', message: `policy ${policy.identity.key} has mode Validate: its changed output is ignored` });
    } else {
      outItems = [...produced, ...kept];
      results.push({ severity: 'info', message: `policy ${policy.identity.key} changed the items (${given.length} in, ${produced.length} out)` });
    }
  }
  return { items: outItems, results, failed: results.some((r) => r.severity === 'error') };
}
