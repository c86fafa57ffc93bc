/**
 * kclguard validates its own policies on admission: `kubectl apply` of a KCLRun or
 * ClusterKCLRun whose spec is invalid, or whose KCL does not compile, is refused with the
 * schema errors or the KCL diagnostics (file:line:col) in kubectl's output, instead of being
 * stored and failing later. Every other request goes to the wrapped handler unchanged.
 */
import { compilePolicy } from './compiled-policy.js';
import type { AdmissionHandler, EngineDecision, EngineRequest } from './contract.js';
import { KCLRUN_GROUP } from './model.js';
import type { PolicyCompiler } from './policy-compiler.js';
import { parsePolicy } from './schema.js';

/** 422, as the API server answers a spec it cannot accept. */
export const INVALID_POLICY_CODE = 422;

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

/** Why the policy object cannot be accepted, or undefined when it can. */
export function policyObjectProblems(request: EngineRequest, compiler: PolicyCompiler): string[] | undefined {
  const parsed = parsePolicy(request.object, { defaultNamespace: request.namespace || 'default' });
  const compiled = compilePolicy(parsed, compiler);
  if (!compiled) return parsed.ok ? undefined : [...parsed.errors];
  return compiled.state === 'ready' ? undefined : [...compiled.errors];
}

function refuse(kind: string, name: string | undefined, problems: string[]): EngineDecision {
  return {
    allowed: false,
    status: { code: INVALID_POLICY_CODE, reason: 'Invalid', message: `${kind} ${name ?? ''} is invalid: ${problems.join('; ')}` },
    patch: [],
    warnings: [],
    auditAnnotations: {},
    outcomes: [],
  };
}

export function withPolicyValidation(handler: AdmissionHandler, compiler: PolicyCompiler): AdmissionHandler {
  return async (request) => {
    if (request.phase === 'validate' && isPolicyWrite(request)) {
      const problems = policyObjectProblems(request, compiler);
      if (problems) return refuse(request.kind.kind, request.name, problems);
    }
    return handler(request);
  };
}
