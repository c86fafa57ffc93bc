/**
 * Evaluates one admission request against one policy snapshot (DESIGN sections 1-5):
 * selection, consent, the ServiceAccount check, failureAction, ordering and the final patch.
 *
 * Three steps. Selection (here, on the main thread): which policies take part, and whether the
 * object consents to each one's mutation. Running (the executor — a worker thread in the server):
 * the programs, in order, the patch. Gating (here again): RBAC, consent of violations and
 * failureAction turn each run into its effect on the answer.
 *
 * Mutate phase: `mode: Auto` policies in snapshot order, each seeing the previous one's carried
 * output; one RFC 6902 patch from the admitted object to the last output. A mutation is carried
 * optimistically while its ServiceAccount check is pending; if the check then denies it, the job
 * runs again without carrying it, so later policies never see a change that did not happen.
 * Validate phase: `mode: Validate` policies on the object as admitted.
 */
import type { CompiledPolicy } from './compiled-policy.js';
import type { ConsentEffect } from './consent.js';
import type { EngineDecision, EngineRequest } from './contract.js';
import type { JobPolicy, PolicyRun, RunReport } from './executor.js';
import { isSystemNamespaceRequest, whyRequestExcluded } from './exclusions.js';
import { applyFailure, applyViolation, checkFailure, consentDrop, gateViolation, rbacDrop, warnDropped } from './gates.js';
import type { EngineLogger } from './logger.js';
import { MAX_POLICY_LOGS } from './limits.js';
import type { PolicyDefinition } from './model.js';
import { resolveNamespace } from './namespaces.js';
import type { PolicySnapshot } from './policy-set.js';
import { RequestState, type EvaluationContext } from './request-state.js';
import { subjectOf } from './run-job.js';
import { objectNamespace, whyNotSelected } from './selector.js';

export type { EvaluationContext } from './request-state.js';

interface Participant {
  readonly policy: CompiledPolicy;
  readonly definition: PolicyDefinition;
  /** Set when the object vetoes this policy's mutation (known before it runs). */
  readonly mutationVeto?: ReturnType<typeof consentDrop>;
}

/** Whether the policy takes part in this request at all; otherwise why not. */
function whyNotConsidered(policy: CompiledPolicy, definition: PolicyDefinition, state: RequestState): string | undefined {
  const { request, ctx } = state;
  const phase = definition.spec.mode === 'Auto' ? 'mutate' : 'validate';
  if (phase !== request.phase) return `mode ${definition.spec.mode} runs in the ${phase} phase`;
  if (isSystemNamespaceRequest(request, ctx.exclusions)) {
    if (!(policy.identity.kind === 'ClusterKCLRun' && definition.spec.allowSystemNamespaces)) {
      return 'system namespaces are excluded';
    }
  }
  return whyNotSelected(definition, request, state.namespace);
}

/** Selection: the policies that run for this request, in snapshot order. */
function select(state: RequestState, snapshot: PolicySnapshot): Participant[] {
  const participants: Participant[] = [];
  for (const policy of snapshot.policies) {
    const definition = policy.definition;
    if (!definition) continue;
    const key = policy.identity.key;
    const notConsidered = whyNotConsidered(policy, definition, state);
    if (notConsidered) {
      state.record(key, 'not_selected', 0, { reason: notConsidered });
      continue;
    }
    // strictMode policies are opt-in: one that neither the object nor its Namespace names for
    // any effect does not run at all. That is `skipped`, not `not_consented`: no effect was
    // dropped, the policy simply does not apply. One the Namespace names runs even where the
    // object's own list leaves it out: that list is then a veto (gates.ts, validationVeto).
    if (definition.spec.strictMode) {
      const effects: ConsentEffect[] = definition.spec.mode === 'Auto' ? ['mutate', 'validate'] : ['validate'];
      if (!effects.some((e) => state.permitted(definition, e) || state.namespaceNames(definition, e))) {
        state.record(key, 'skipped', 0, { reason: 'strictMode policy not named by the object or its Namespace' });
        continue;
      }
    }
    const veto = state.request.phase === 'mutate' ? consentDrop(state, definition, 'mutate') : undefined;
    participants.push({ policy, definition, ...(veto ? { mutationVeto: veto } : {}) });
  }
  return participants;
}

/**
 * Runs the job until every carried mutation is authorized: each round drops the mutations whose
 * ServiceAccount may not mutate and runs again, so the loop ends after at most one round per
 * policy. Returns the final report and each mutation's gate result.
 */
async function runAuthorized(
  state: RequestState,
  snapshot: PolicySnapshot,
  participants: readonly Participant[],
): Promise<{ report: RunReport; gates: Map<string, Awaited<ReturnType<typeof rbacDrop>> | Error> }> {
  const gates = new Map<string, Awaited<ReturnType<typeof rbacDrop>> | Error>();
  const uncarried = new Set<string>();
  for (;;) {
    const policies: JobPolicy[] = participants.map((p) => {
      const key = p.policy.identity.key;
      return { key, carry: p.mutationVeto === undefined && !uncarried.has(key) };
    });
    const report = await state.ctx.executor.run({ generation: snapshot.generation, request: state.request, policies });
    const pending = report.runs.filter((run) => run.carried && !gates.has(run.key));
    await Promise.all(
      pending.map(async (run) => {
        const definition = participants.find((p) => p.policy.identity.key === run.key)!.definition;
        gates.set(run.key, await rbacDrop(state, definition, 'mutate').catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
      }),
    );
    const refused = pending.filter((run) => gates.get(run.key) !== undefined);
    if (refused.length === 0) return { report, gates };
    for (const run of refused) uncarried.add(run.key);
  }
}

/** Turns one policy's run into its effect on the answer. */
async function gateRun(state: RequestState, participant: Participant, run: PolicyRun, gate: Awaited<ReturnType<typeof rbacDrop>> | Error | undefined): Promise<void> {
  const { definition } = participant;
  const key = definition.identity.key;
  const seconds = run.durationSeconds;
  logPolicyOutput(state.ctx.logger, state.request, key, run);
  const { outcome } = run;
  try {
    switch (outcome.kind) {
      case 'unchanged':
        if (outcome.note && state.request.phase === 'validate') state.warn(`kclguard: change by policy ${key} ignored: ${outcome.note}`);
        state.record(key, 'passed', seconds, outcome.note ? { reason: `change ignored: ${outcome.note}` } : {});
        return;
      case 'failed':
        await applyFailure(state, definition, outcome, seconds, true, run.recovery);
        return;
      case 'mutated': {
        if (gate instanceof Error) throw gate;
        const dropped = participant.mutationVeto ?? gate;
        if (dropped) {
          warnDropped(state, definition, 'mutate', dropped);
          state.record(key, dropped.result, seconds, { reason: dropped.reason });
          return;
        }
        state.record(key, 'mutated', seconds);
        return;
      }
      case 'violated': {
        const dropped = await gateViolation(state, definition);
        if (dropped) {
          state.record(key, dropped.result, seconds, { reason: dropped.reason });
          return;
        }
        applyViolation(state, definition, outcome.message, outcome.location ? `${outcome.location}: ${outcome.message}` : outcome.message, seconds);
        return;
      }
    }
  } catch (error) {
    await applyFailure(state, definition, checkFailure(error), seconds, false);
  }
}

/**
 * Every untouched answer shares these empty arrays and object: frozen, so that code that wrote
 * into one (the types forbid it) fails there instead of leaking into every later answer.
 */
const ALLOW_UNTOUCHED: Omit<EngineDecision, 'outcomes'> = Object.freeze({ allowed: true, patch: Object.freeze([]), warnings: Object.freeze([]), auditAnnotations: Object.freeze({}) });
// `outcomes` first: a spread followed by a key it lacks takes a slow path in V8 (docs/performance.md).

export async function evaluate(request: EngineRequest, snapshot: PolicySnapshot, ctx: EvaluationContext): Promise<EngineDecision> {
  const excluded = whyRequestExcluded(request, ctx.exclusions);
  if (excluded) {
    ctx.logger.debug({ uid: request.uid, reason: excluded }, 'request excluded');
    return { outcomes: [], ...ALLOW_UNTOUCHED };
  }
  const subject = subjectOf(request);
  if (!subject) return { outcomes: [], ...ALLOW_UNTOUCHED };

  const namespaceName = objectNamespace(request);
  const namespace = namespaceName === '' ? undefined : await resolveNamespace(ctx.namespaces, namespaceName, request.deadline, ctx.now);
  if (namespace && 'error' in namespace) return namespaceUnknown(request, snapshot, subject, ctx, namespace.error);

  const state = new RequestState(request, subject, namespace, ctx);
  const participants = select(state, snapshot);
  let patch: EngineDecision['patch'] = [];
  if (participants.length > 0) {
    const { report, gates } = await runAuthorized(state, snapshot, participants);
    for (let i = 0; i < participants.length; i++) {
      const participant = participants[i]!;
      const run = report.runs[i]!;
      await gateRun(state, participant, run, gates.get(run.key));
    }
    patch = report.patch;
  }
  return decision(state, patch);
}

function decision(state: RequestState, patch: EngineDecision['patch']): EngineDecision {
  const base = { warnings: state.warnings, auditAnnotations: state.auditAnnotations, outcomes: state.outcomes };
  const { denials } = state;
  if (denials.length > 0) {
    state.ctx.logger.info({ uid: state.request.uid, policies: denials.map((d) => d.policy) }, 'request denied');
    const message = denials.length === 1 ? denials[0]!.message : denials.map((d) => (d.failure ? d.message : `${d.policy}: ${d.message}`)).join('; ');
    const kind = denials.some((d) => d.failure) ? 'failure' : 'violation';
    return { allowed: false, denial: { kind, message, policies: denials.map((d) => d.policy) }, patch: [], ...base };
  }
  return { allowed: true, patch: state.request.phase === 'mutate' ? patch : [], ...base };
}

/**
 * The object's Namespace could not be read (not cached, and fetching it failed): selection by
 * namespaceSelector and the Namespace's consent cannot be decided, so every policy that would
 * otherwise take part fails with its failureAction — never a silent guess.
 */
async function namespaceUnknown(request: EngineRequest, snapshot: PolicySnapshot, subject: Record<string, unknown>, ctx: EvaluationContext, error: string): Promise<EngineDecision> {
  const state = new RequestState(request, subject, 'unknown', ctx);
  const failure = { error: `cannot read Namespace ${objectNamespace(request)}: ${error}`, summary: `cannot read Namespace ${objectNamespace(request)}` };
  for (const participant of select(state, snapshot)) await applyFailure(state, participant.definition, failure, 0, false);
  return decision(state, []);
}

/**
 * print() output goes to the log at debug level; `log.<level>(...)` messages at their level, each
 * with the policy, the request uid and the operation, and `policyLog: true` so tools can pick them
 * out of kclguard's own messages. (The executor already bounded how much comes back.)
 */
function logPolicyOutput(logger: EngineLogger, request: EngineRequest, policy: string, run: PolicyRun): void {
  if (run.printed) logger.debug({ uid: request.uid, policy, printed: run.printed }, 'policy output');
  for (const entry of run.logs ?? []) {
    logger[entry.level]({ uid: request.uid, policy, operation: request.operation, policyLog: true }, entry.message);
  }
  if (run.logsDropped) logger.warn({ uid: request.uid, policy, dropped: run.logsDropped, kept: MAX_POLICY_LOGS }, 'policy logged more messages than are kept');
}
