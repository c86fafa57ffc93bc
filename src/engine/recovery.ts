/**
 * Recovery programs (spec.recovery.source): KCL that chooses what a failed policy does to the
 * request. It runs where the policy ran, right after the failure, under the policy's time budget,
 * and sees `option("failure")` (code, message, file, line, col), `option("request")`,
 * `option("items")` and `option("params")`. It answers with a top-level `action` ("abort",
 * "warn" or "skip") and an optional `message`; anything else — including its own failure — means
 * the policy's failureAction applies (docs/policy-semantics.md).
 */
import type { EngineRequest, FailureAction } from './contract.js';
import type { PolicyFailure, RecoveryResult } from './executor.js';
import type { PolicyDefinition } from './model.js';
import type { PolicyProgram, RunSession } from './policy-compiler.js';
import { plainFailure, type RunBudget } from './run-policy.js';

const ACTIONS: readonly FailureAction[] = ['abort', 'warn', 'skip'];

/** What option("failure") holds. */
export function failureOption(failure: PolicyFailure): Record<string, unknown> {
  return {
    code: failure.code ?? '',
    message: failure.error,
    file: failure.location?.file ?? '',
    line: failure.location?.line ?? 0,
    col: failure.location?.col ?? 0,
  };
}

export function runRecovery(
  policy: PolicyDefinition,
  recovery: PolicyProgram,
  failure: PolicyFailure,
  object: Record<string, unknown> | undefined,
  request: EngineRequest,
  budget: RunBudget,
  session?: RunSession,
): RecoveryResult {
  const remaining = budget.deadline === undefined ? Infinity : budget.deadline - budget.now();
  if (remaining <= 0) return { failed: plainFailure('the request deadline passed before the recovery program could run', 'K9003') };
  const timeoutMs = Math.max(1, Math.floor(Math.min(policy.spec.timeoutMillis, remaining)));
  const options = { failure: failureOption(failure), request: request.requestView, items: object ? [object] : [], params: policy.spec.params };
  let result;
  try {
    result = recovery.run(options, { timeoutMs, clock: budget.now }, session);
  } catch (error) {
    return { failed: plainFailure(`internal interpreter error in the recovery program: ${error instanceof Error ? error.message : String(error)}`, 'E3M38') };
  }
  if (!result.ok) {
    const d = result.diagnostic;
    const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : '';
    return { failed: { error: `${where}${d.code}: ${d.message}`, summary: `${where}${d.code}`, code: d.code } };
  }
  const action = result.exports.get('action');
  if (typeof action !== 'string' || !ACTIONS.includes(action as FailureAction)) {
    return { failed: plainFailure(`the recovery program must set action to "abort", "warn" or "skip", got ${JSON.stringify(action ?? null)}`) };
  }
  const message = result.exports.get('message');
  return typeof message === 'string' && message !== '' ? { action: action as FailureAction, message } : { action: action as FailureAction };
}
