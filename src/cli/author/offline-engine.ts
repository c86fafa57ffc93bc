/**
 * Runs the webhook's engine offline on one request: a PolicySet compiled by the real KCL
 * compiler, the Namespaces as a StaticNamespaceLookup, the authorizer (RBAC manifests or
 * allow-all), and createAdmissionHandler — the code path the server uses. Like the API server,
 * it calls the mutate phase first (mode Auto policies), applies the patch, and then the validate
 * phase (mode Validate policies) on the final object; a denial in the mutate phase ends the
 * request there. The patch is applied by the engine's applyPatch, which keeps keys such as
 * `__proto__` as ordinary members (fast-json-patch refuses them, or sets the prototype).
 */
import {
  allowAllAuthorizer,
  applyPatch,
  createAdmissionHandler,
  InProcessExecutor,
  kclCompiler,
  Lookups,
  PolicySet,
  serviceAccountUser,
  StaticLookupSource,
  StaticNamespaceLookup,
  type LookupResponder,
  type SyncAuthorizer,
  type AuthorizationAttributes,
  type Authorizer,
  type EngineDecision,
  type PolicyOutcome,
  type ValidationAction,
  type ExemptCheck,
  type PolicyIdentity,
  type UserInfo,
  type EngineLogger,
  type FailureAction,
  type Phase,
  type PolicyDocument,
  type PolicyResult,
  type PolicySnapshot,
  type ServiceAccountRef,
  type SourceResolver,
} from '../../engine/index.js';
import { RbacIndex, rbacAuthorizer, rbacExemptCheck } from '../../engine/index.js';
import { DENIAL_STATUS } from '../../admission/index.js';
import type { AdmissionRequest } from '../../admission/index.js';
import { engineRequestFor, offlineKindInfo } from './request.js';
import { InputError } from '../errors.js';
import { positionRewriter } from './policy-positions.js';

type JsonObject = Record<string, unknown>;

export interface PolicyReport {
  readonly policy: string;
  readonly kind: string;
  readonly mode: string;
  /** The phase the policy belongs to (its mode). */
  readonly phase: Phase;
  readonly origin?: string;
  readonly result: PolicyResult;
  readonly reason?: string;
  readonly action?: FailureAction;
  /** For `violated`: the policy's validationActions, i.e. what the violation did. */
  readonly validationActions?: readonly ValidationAction[];
  /** For `failed`: whether the action came from the recovery program (and its message), or why that failed. */
  readonly recovery?: PolicyOutcome['recovery'];
  /** What the policy print()ed during this request. */
  readonly printed?: string;
  /** What the policy logged with kclguard's `log` module, as `[level] message` lines. */
  readonly logs?: readonly string[];
}

export interface OfflineResult {
  readonly allowed: boolean;
  /** A denial as the API server would show it: code, reason, message. */
  readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
  /** The mutate phase's RFC 6902 patch (empty when denied or nothing changed). */
  readonly patch: EngineDecision['patch'];
  /** The object after the patch (the admitted object when nothing changed or it was denied). */
  readonly object?: JsonObject;
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
  readonly policies: readonly PolicyReport[];
  /** Human-readable lines: what was selected, skipped and why; every ServiceAccount check. */
  readonly trace: readonly string[];
}

export interface OfflineEngineOptions {
  readonly policies: readonly PolicyDocument[];
  readonly namespaces?: readonly unknown[];
  /** RBAC manifests; undefined = allow every ServiceAccount everything. */
  readonly rbac?: RbacIndex;
  /** Pulls oci:// sources and spec.dependencies (the registries are asked, as when the webhook loads them). */
  readonly resolver?: SourceResolver;
  /** The objects `kube.get` / `kube.list` read (the cluster as the test describes it). */
  readonly lookups?: readonly unknown[];
}

const POLICY_API_PREFIX = 'krm.kcl.dev/';

export function isPolicyDocument(doc: unknown): boolean {
  const d = doc as { apiVersion?: unknown; kind?: unknown } | null;
  return typeof d?.apiVersion === 'string' && d.apiVersion.startsWith(POLICY_API_PREFIX) && (d.kind === 'KCLRun' || d.kind === 'ClusterKCLRun');
}

export function isNamespaceDocument(doc: unknown): boolean {
  const d = doc as { apiVersion?: unknown; kind?: unknown } | null;
  return d?.apiVersion === 'v1' && d.kind === 'Namespace';
}

/**
 * Compiles the policies; a manifest that fails validation, or whose oci:// source or
 * dependencies cannot be resolved (so it could never act), is an input error.
 */
export async function compilePolicies(documents: readonly PolicyDocument[], resolver?: SourceResolver): Promise<PolicySet> {
  const set = new PolicySet({ executor: new InProcessExecutor({ compiler: kclCompiler }), ...(resolver ? { resolver } : {}) });
  const report = await set.replace(documents);
  const problems = report.problems.map((p) => `${p.origin ?? '(policy)'}: ${p.message}`);
  for (const policy of report.snapshot.policies) {
    if (!policy.definition) problems.push(`${policy.origin ?? policy.identity.key}: policy ${policy.identity.key} is invalid: ${policy.errors.join('; ')}`);
  }
  if (problems.length > 0) throw new InputError('C2008', { problems: problems.join('; ') });
  return set;
}

function describeAttributes(a: AuthorizationAttributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const group = a.group === '' ? 'core' : a.group;
  return `${a.verb} ${group}/${resource}${a.name ? ` ${a.name}` : ''}${a.namespace ? ` in ${a.namespace}` : ''}`;
}

export class OfflineEngine {
  readonly snapshot: PolicySnapshot;
  private readonly namespaces: StaticNamespaceLookup;
  private readonly rbac?: RbacIndex;
  private readonly lookupObjects: StaticLookupSource;
  private readonly lookupCount: number;
  /** Rewrites `<key>.k:L:C` in reasons into the policy file's own line:col. */
  private readonly positions: (text: string) => string;

  private constructor(
    private readonly policySet: PolicySet,
    options: OfflineEngineOptions,
  ) {
    this.snapshot = policySet.snapshot();
    this.positions = positionRewriter(this.snapshot.policies);
    this.namespaces = new StaticNamespaceLookup(options.namespaces ?? []);
    this.rbac = options.rbac;
    this.lookupObjects = new StaticLookupSource(options.lookups ?? [], offlineKindInfo);
    this.lookupCount = options.lookups?.length ?? 0;
  }

  static async create(options: OfflineEngineOptions): Promise<OfflineEngine> {
    return new OfflineEngine(await compilePolicies(options.policies, options.resolver), options);
  }

  /** The namespace of the first KCLRun, for objects whose file names none. */
  defaultNamespace(): string {
    return this.snapshot.policies.find((p) => p.identity.namespace !== undefined)?.identity.namespace ?? 'default';
  }

  async evaluate(admission: AdmissionRequest): Promise<OfflineResult> {
    const trace: string[] = [];
    const printed = new Map<string, string>();
    const logs = new Map<string, string[]>();
    // The engine logs a policy's log.<level>(...) messages at their level, marked policyLog.
    const policyLog = (level: string) => (obj: Record<string, unknown>, msg: string) => {
      if (obj.policyLog === true && typeof obj.policy === 'string') logs.set(obj.policy, [...(logs.get(obj.policy) ?? []), `[${level}] ${msg}`]);
    };
    const logger: EngineLogger = {
      debug: (obj, msg) => {
        if (msg === 'policy output' && typeof obj.policy === 'string' && typeof obj.printed === 'string') {
          printed.set(obj.policy, (printed.get(obj.policy) ?? '') + obj.printed);
        } else policyLog('debug')(obj, msg);
      },
      info: policyLog('info'),
      warn: policyLog('warn'),
      error: (obj, msg) => {
        if (obj.policyLog === true) policyLog('error')(obj, msg);
        else trace.push(`engine error: ${msg} ${JSON.stringify(obj)}`);
      },
    };
    const authorizer = this.tracingAuthorizer(trace);
    this.policySet.executor.serveLookups?.(this.tracingLookups(trace));
    const handler = createAdmissionHandler({ policies: this.policySet, authorizer, exempt: this.tracingExempt(trace), namespaces: this.namespaces, logger });

    trace.push(
      this.rbac
        ? `ServiceAccount checks answered from RBAC manifests (${this.rbac.size.roles} roles, ${this.rbac.size.bindings} bindings)`
        : 'no RBAC manifests: every ServiceAccount is allowed everything (allow-all authorizer)',
    );
    const mutateRequest = engineRequestFor(admission, 'mutate');
    trace.push(
      `request: ${admission.operation} ${admission.kind.group || 'core'}/${admission.kind.version} ${admission.kind.kind} ` +
        `(resource ${admission.resource.resource}) ${admission.namespace ? `${admission.namespace}/` : ''}${admission.name ?? '(no name)'} ` +
        `by ${admission.userInfo.username ?? '(anonymous)'}`,
    );
    trace.push('phase mutate (mode Auto policies)');
    const mutate = await handler(mutateRequest);
    const subject = admission.operation === 'DELETE' ? admission.oldObject ?? undefined : admission.object ?? admission.oldObject ?? undefined;
    let object = subject ?? undefined;
    if (mutate.allowed && mutate.patch.length > 0 && subject) {
      object = applyPatch(subject, mutate.patch) as JsonObject;
    }
    let validate: EngineDecision | undefined;
    if (mutate.allowed) {
      trace.push('phase validate (mode Validate policies, on the object after the mutate phase)');
      const validateObject = admission.operation === 'DELETE' || !admission.object ? undefined : object;
      validate = await handler(engineRequestFor(admission, 'validate', validateObject));
    } else {
      trace.push('phase validate not run: the request was denied in the mutate phase');
    }
    const policies = this.reports(mutate, validate, printed, logs);
    trace.push('result per policy (in evaluation order):');
    for (const p of policies) {
      trace.push(`  ${p.policy} [${p.phase}]: ${p.result}${p.action ? ` (failureAction ${p.action})` : ''}${p.reason ? ` — ${p.reason}` : ''}`);
    }
    const denied = !mutate.allowed ? mutate : validate && !validate.allowed ? validate : undefined;
    return {
      allowed: denied === undefined,
      status: denied?.denial ? { ...DENIAL_STATUS[denied.denial.kind], message: this.positions(denied.denial.message) } : undefined,
      patch: mutate.allowed ? mutate.patch : [],
      object: object,
      warnings: [...new Set([...mutate.warnings, ...(validate?.warnings ?? [])].map(this.positions))],
      auditAnnotations: { ...mutate.auditAnnotations, ...(validate?.auditAnnotations ?? {}) },
      policies,
      trace,
    };
  }

  private tracingAuthorizer(trace: string[]): Authorizer {
    const note = (sa: ServiceAccountRef, a: AuthorizationAttributes, allowed: boolean, by?: string): void => {
      trace.push(`  ServiceAccount ${sa.namespace}/${sa.name} may ${describeAttributes(a)}: ${allowed ? 'yes' : 'no'}${by ? ` (${by})` : ''}`);
    };
    if (!this.rbac) {
      return async (sa, a) => {
        note(sa, a, true, 'allow-all');
        return allowAllAuthorizer(sa, a);
      };
    }
    return rbacAuthorizer(this.rbac, (sa, a, d) => note(sa, a, d.allowed, d.grantedBy));
  }

  /**
   * Lookups answered from the given objects, authorized for the ServiceAccount from the same
   * RBAC manifests (get / list verbs; allow-all without them), every call traced.
   */
  private tracingLookups(trace: string[]): LookupResponder {
    const check: SyncAuthorizer = (sa, a) => {
      const decision = this.rbac ? this.rbac.decide(serviceAccountUser(sa), a) : { allowed: true, grantedBy: 'allow-all' };
      trace.push(`  ServiceAccount ${sa.namespace}/${sa.name} may ${describeAttributes(a)}: ${decision.allowed ? 'yes' : 'no'}${decision.grantedBy ? ` (${decision.grantedBy})` : ''}`);
      return decision.allowed;
    };
    const lookups = new Lookups({ source: this.lookupObjects, syncAuthorizer: check });
    const count = this.lookupCount;
    return {
      limits: lookups.limits,
      answer: (policy, call, ms) => lookups.answer(policy, call, ms),
      answerNow: (policy, call, ms) => {
        const answer = lookups.answerNow(policy, call, ms);
        const args = call.args.map((a) => JSON.stringify(a)).join(', ');
        const result = !answer.ok ? `${answer.code} ${answer.message}` : Array.isArray(answer.value) ? `${answer.value.length} object(s)` : answer.value === null ? 'None' : '1 object';
        trace.push(`  ${policy.identity.key}: kube.${call.function}(${args}) -> ${result} (from ${count} lookup object(s))`);
        return answer;
      },
    };
  }

  /** The `exempt` check from the same RBAC manifests (allow-all without them), traced. */
  private tracingExempt(trace: string[]): ExemptCheck {
    const note = (user: UserInfo, policy: PolicyIdentity, allowed: boolean, by?: string): void => {
      trace.push(`  user ${user.username ?? '(anonymous)'} may exempt from ${policy.key}: ${allowed ? 'yes' : 'no'}${by ? ` (${by})` : ''}`);
    };
    if (!this.rbac) {
      return async (user, policy) => {
        note(user, policy, true, 'allow-all');
        return true;
      };
    }
    return rbacExemptCheck(this.rbac, note);
  }

  /** One report per policy, taken from the phase its mode runs in. */
  private reports(mutate: EngineDecision, validate: EngineDecision | undefined, printed: Map<string, string>, logs: Map<string, string[]>): PolicyReport[] {
    return this.snapshot.policies.map((policy): PolicyReport => {
      const definition = policy.definition!;
      const phase: Phase = definition.spec.mode === 'Auto' ? 'mutate' : 'validate';
      const decision = phase === 'mutate' ? mutate : validate;
      const outcome = decision?.outcomes.find((o) => o.policy === policy.identity.key);
      const base = {
        policy: policy.identity.key,
        kind: policy.identity.kind,
        mode: definition.spec.mode,
        phase,
        origin: policy.origin,
        ...(printed.has(policy.identity.key) ? { printed: printed.get(policy.identity.key) } : {}),
        ...(logs.has(policy.identity.key) ? { logs: logs.get(policy.identity.key) } : {}),
      };
      if (!outcome) {
        // Excluded requests (system namespaces, excluded kinds) and unrun validate phases.
        const reason = !decision ? 'not evaluated: the request was denied in the mutate phase' : 'the request is excluded (system namespace or excluded kind)';
        return { ...base, result: 'not_selected', reason };
      }
      const reason = outcome.reason === undefined ? undefined : this.positions(outcome.reason);
      return {
        ...base,
        result: outcome.result,
        reason,
        action: outcome.action,
        ...(outcome.actions ? { validationActions: outcome.actions } : {}),
        ...(outcome.recovery ? { recovery: outcome.recovery } : {}),
      };
    });
  }
}
