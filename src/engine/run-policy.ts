/**
 * Runs one compiled policy on one object and classifies what happened (DESIGN section 1):
 * unchanged, mutated, violated (assert/check failed), or failed (anything else). Pure apart from
 * the clock: no consent, authorization or failureAction here.
 */
import { ErrorCodes, formatDiagnosticShort, formatSpan, type ErrorCode } from '../kcl/index.js';
import type { EngineRequest } from './contract.js';
import type { PolicyFailure, RunOutcome } from './executor.js';
import type { PolicyDefinition } from './model.js';
import type { PolicyLogEntry, PolicyProgram, RunSession } from './policy-compiler.js';
import type { HostCallHandler } from '../kcl/index.js';
import { isJsonObject, partAt } from './json-data.js';
import { MAX_OBJECT_DEPTH } from './limits.js';

type JsonObject = Record<string, unknown>;

/** A run's outcome with the mutated object itself, which stays where the program ran. */
export type ProgramOutcome = Exclude<RunOutcome, { kind: 'mutated' }> | { readonly kind: 'mutated'; readonly object: JsonObject };

/**
 * A failure whose text quotes no object values (it is its own summary). With a code, the text
 * starts with it as a diagnostic's does (`K9003 TimeoutExceeded: ...`), so users, logs and
 * tests find the code in one place whatever produced the failure.
 */
export function plainFailure(error: string, code?: ErrorCode): PolicyFailure {
  if (code === undefined) return { error, summary: error };
  const text = `${code} ${ErrorCodes[code]}: ${error}`;
  return { error: text, summary: text, code };
}

/** Diagnostics that mean "the object breaks the rule", as opposed to "the rule could not run". */
const VIOLATION_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['E3M41', 'E3M40']);

export const RESOURCE_LIST_API_VERSION = 'config.kubernetes.io/v1';

/** The option() values a program sees (the krm-kcl contract). */
export function programOptions(policy: PolicyDefinition, object: JsonObject, request: EngineRequest): Record<string, unknown> {
  const items = [object];
  return {
    items,
    params: policy.spec.params,
    resource_list: {
      apiVersion: RESOURCE_LIST_API_VERSION,
      kind: 'ResourceList',
      items,
      functionConfig: policy.manifest,
    },
    request: request.requestView,
  };
}

/**
 * The object a program produced: `items[0]` of a one-element `items` list, or the exports
 * themselves when they form a document (apiVersion + kind). A program that exports nothing at
 * all is a pure validation and leaves the object unchanged (undefined).
 */
export function outputObject(exports: ReadonlyMap<string, unknown>): { object?: JsonObject; error?: string } {
  if (exports.has('items')) {
    const items = exports.get('items');
    if (!Array.isArray(items)) return { error: 'output items is not a list' };
    if (items.length !== 1) return { error: `output must hold exactly one object, got ${items.length}` };
    if (!isJsonObject(items[0])) return { error: 'output items[0] is not an object' };
    return { object: items[0] };
  }
  if (exports.size === 0) return {};
  if (exports.has('apiVersion') && exports.has('kind')) return { object: Object.fromEntries(exports) };
  return { error: 'output has no items list and is not a single document' };
}

const PROTECTED_FIELDS: readonly (readonly string[])[] = [['apiVersion'], ['kind'], ['metadata', 'name'], ['metadata', 'namespace']];

function fieldAt(object: JsonObject, path: readonly string[]): unknown {
  let current: unknown = object;
  for (const part of path) current = isJsonObject(current) ? current[part] : undefined;
  return current;
}

/** The first protected field the output changed, if any. */
export function changedProtectedField(before: JsonObject, after: JsonObject): string | undefined {
  const changed = PROTECTED_FIELDS.find((path) => fieldAt(before, path) !== fieldAt(after, path));
  return changed?.join('.');
}

/**
 * A mutation whose object nests deeper than MAX_OBJECT_DEPTH: checked only where the mutation is
 * kept (run-job.ts), since an object nested deeper could never be reviewed again. `before` is the
 * object the policy was given, within that depth (the review's own nesting limit, or this check
 * when an earlier policy's mutation was kept): what the output holds of it, by identity at the
 * same place, nests no deeper than it did there and is not walked again.
 */
export function tooDeepFailure(object: JsonObject, before?: JsonObject): PolicyFailure | undefined {
  if (!nestsDeeperThan(object, MAX_OBJECT_DEPTH, before)) return undefined;
  return plainFailure(`the output object nests deeper than ${MAX_OBJECT_DEPTH} levels, more than kclguard accepts in a review of it`, 'K9004');
}

/**
 * True when the value nests deeper than maxDepth levels (a scalar is level 0, a list or dict
 * level 1). Descends at most maxDepth + 1 levels, so the output of any policy, however deep,
 * cannot take it near the stack limit. Parts that are `before`'s own parts at the same place are
 * taken to be within the depth (see tooDeepFailure).
 */
export function nestsDeeperThan(value: unknown, maxDepth: number, before?: unknown): boolean {
  if (typeof value !== 'object' || value === null || value === before) return false;
  if (maxDepth <= 0) return true;
  if (Array.isArray(value)) return value.some((item, index) => nestsDeeperThan(item, maxDepth - 1, partAt(before, index)));
  for (const key in value) {
    if (Object.hasOwn(value, key) && nestsDeeperThan((value as JsonObject)[key], maxDepth - 1, partAt(before, key))) return true;
  }
  return false;
}

/** Deep equality of JSON values; stops at the first difference (runs once per policy per request). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  let aCount = 0;
  for (const key in aRecord) {
    if (!Object.hasOwn(aRecord, key) || aRecord[key] === undefined) continue;
    aCount += 1;
    if (!Object.hasOwn(bRecord, key) || !jsonEqual(aRecord[key], bRecord[key])) return false;
  }
  let bCount = 0;
  for (const key in bRecord) if (Object.hasOwn(bRecord, key) && bRecord[key] !== undefined) bCount += 1;
  return aCount === bCount;
}

export interface RunBudget {
  /** Absolute deadline (ms since epoch) of the whole request, if any. */
  readonly deadline?: number;
  readonly now: () => number;
}

/**
 * Receives what the program print()ed and the messages it logged with kclguard's `log` module:
 * a policy author's debugging aid.
 */
export type OutputSink = (printed: string, logs: readonly PolicyLogEntry[]) => void;

export function runPolicy(
  policy: PolicyDefinition,
  program: PolicyProgram,
  object: JsonObject,
  request: EngineRequest,
  budget: RunBudget,
  onOutput?: OutputSink,
  session?: RunSession,
  host?: HostCallHandler,
): ProgramOutcome {
  const remaining = budget.deadline === undefined ? Infinity : budget.deadline - budget.now();
  if (remaining <= 0) return { kind: 'failed', ...plainFailure('the request deadline passed before the policy could run', 'K9003') };
  const timeoutMs = Math.max(1, Math.floor(Math.min(policy.spec.timeoutMillis, remaining)));
  let result;
  try {
    result = program.run(programOptions(policy, object, request), { timeoutMs, clock: budget.now }, session, host);
  } catch (error) {
    // program.run must never throw; if it does, the policy failed, the server did not.
    const detail = error instanceof Error ? error.message : String(error);
    return { kind: 'failed', ...plainFailure(`internal interpreter error: ${detail}`, 'E3M38'), summary: 'E3M38 internal interpreter error' };
  }
  if (onOutput && (result.printed || result.logs?.length)) onOutput(result.printed, result.logs ?? []);
  if (!result.ok) {
    const d = result.diagnostic;
    if (VIOLATION_CODES.has(d.code)) {
      return { kind: 'violated', message: d.message, location: d.span ? `${d.span.file}:${d.span.line}:${d.span.col}` : undefined };
    }
    const where = d.span ? `${formatSpan(d.span)}: ` : '';
    const location = d.span ? { location: { file: d.span.file, line: d.span.line, col: d.span.col } } : {};
    return { kind: 'failed', error: formatDiagnosticShort(d), summary: `${where}${d.code} ${d.title ?? ErrorCodes[d.code]}`, code: d.code, ...location };
  }
  const output = outputObject(result.exports);
  if (output.error) return { kind: 'failed', ...plainFailure(output.error) };
  if (!output.object || jsonEqual(object, output.object)) return { kind: 'unchanged' };
  const field = changedProtectedField(object, output.object);
  if (field) return { kind: 'failed', ...plainFailure(`the output changes the protected field ${field}`) };
  return { kind: 'mutated', object: output.object };
}
