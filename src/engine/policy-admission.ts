/**
 * kclguard validates its own policies on admission: `kubectl apply` of a KCLRun or
 * ClusterKCLRun whose spec is invalid, or whose KCL does not compile, is refused with the
 * schema errors or the KCL diagnostics (file:line:col) in kubectl's output, instead of being
 * stored and failing later. The source is compiled by the executor — in the server a worker with
 * a hard deadline and a heap cap, since the source is whatever the writer sent. Every other
 * request goes to the wrapped handler unchanged.
 */
import { programFilename } from './compiled-policy.js';
import type { AdmissionHandler, EngineDecision, EngineRequest } from './contract.js';
import type { PolicyExecutor } from './executor.js';
import { KCLRUN_GROUP, needsResolution, type PolicyDefinition } from './model.js';
import { parsePolicy } from './schema.js';

const POLICY_RESOURCES = new Set(['kclruns', 'clusterkclruns']);

export function isPolicyWrite(request: EngineRequest): boolean {
  return (
    request.resource.group === KCLRUN_GROUP &&
    POLICY_RESOURCES.has(request.resource.resource) &&
    (request.subResource ?? '') === '' &&
    (request.operation === 'CREATE' || request.operation === 'UPDATE') &&
    request.object !== undefined
  );
}

/**
 * Checks an oci:// reference or spec.dependencies without touching a registry (the request path
 * never does): their syntax only. The package itself is pulled when the policy loads, and what
 * goes wrong then is in the policy's status.
 */
export type SourceCheck = (definition: PolicyDefinition) => readonly string[] | undefined;

/** Why the policy object cannot be accepted, or undefined when it can. */
export async function policyObjectProblems(request: EngineRequest, executor: PolicyExecutor, sourceCheck?: SourceCheck): Promise<readonly string[] | undefined> {
  const parsed = parsePolicy(request.object, { defaultNamespace: request.namespace || 'default' });
  if (!parsed.ok) return parsed.errors;
  if (needsResolution(parsed.policy.spec)) return sourceCheck?.(parsed.policy);
  const outcome = await executor.compile({ definition: parsed.policy, filename: programFilename(parsed.policy.identity) }, request.deadline);
  return outcome.ok ? undefined : outcome.errors;
}

function refuse(kind: string, name: string | undefined, problems: readonly string[]): EngineDecision {
  return {
    allowed: false,
    denial: { kind: 'invalid_policy', message: `${kind} ${name ?? ''} is invalid: ${problems.join('; ')}`, policies: [] },
    patch: [],
    warnings: [],
    auditAnnotations: {},
    outcomes: [],
  };
}

export function withPolicyValidation(handler: AdmissionHandler, executor: PolicyExecutor, sourceCheck?: SourceCheck): AdmissionHandler {
  return async (request) => {
    if (request.phase === 'validate' && isPolicyWrite(request)) {
      const problems = await policyObjectProblems(request, executor, sourceCheck);
      if (problems) return refuse(request.kind.kind, request.name, problems);
    }
    return handler(request);
  };
}
