/**
 * The engine runtime without a cluster: a policy directory (watched), its Namespaces and RBAC
 * manifests, an executor (the worker pool in the server, in-process by default), the
 * ServiceAccount and exempt checks answered from those manifests (allow-all without any, or a
 * given authorizer behind the TTL cache), and the AdmissionHandler the transport calls.
 */
import { allowAllAuthorizer, cachingAuthorizer, type Authorizer, type AuthorizerCacheOptions } from './authorizer.js';
import { exemptAttributes, type ExemptCheck } from './exempt.js';
import { serviceAccountUser } from './rbac/index.js';
import type { ExclusionConfig } from './exclusions.js';
import type { PolicyExecutor } from './executor.js';
import { createAdmissionHandler } from './handler.js';
import { InProcessExecutor } from './in-process-executor.js';
import { kclCompiler } from './kcl-compiler.js';
import { LocalPolicySource, type LocalLoadReport } from './local-policy-source.js';
import { silentLogger, type EngineLogger } from './logger.js';
import type { EngineObserver } from './observer.js';
import { withPolicyValidation, type SourceCheck } from './policy-admission.js';
import type { PolicyCompiler } from './policy-compiler.js';
import { PolicySet, type SourceResolver } from './policy-set.js';
import type { EngineRuntime, Readiness } from './runtime.js';

export interface LocalEngineOptions {
  /** The policy directory (KCLRun / ClusterKCLRun / Namespace YAML). */
  readonly dir: string;
  /** Compiles and runs the policies. Default: in-process with `compiler`. */
  readonly executor?: PolicyExecutor;
  /** For the default executor. Default: kclguard's KCL interpreter. */
  readonly compiler?: PolicyCompiler;
  /**
   * Default: the RBAC manifests in the directory (Role, ClusterRole, RoleBinding,
   * ClusterRoleBinding), else allow every ServiceAccount. One given here is wrapped in the TTL
   * cache unless `authorizerCache` is false.
   */
  readonly authorizer?: Authorizer;
  readonly authorizerCache?: AuthorizerCacheOptions | false;
  readonly exclusions?: Partial<ExclusionConfig>;
  readonly observer?: EngineObserver;
  readonly logger?: EngineLogger;
  /** Watch the directory and hot-reload (default true). */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  /** See LocalPolicySourceOptions. */
  readonly settleMs?: number;
  readonly rescanMs?: number;
  /** Called after every reload that changed what is in force, the first load included. */
  readonly onReload?: (report: LocalLoadReport) => void;
  /** Whether the executor can run jobs (the pool has a live worker); default always. */
  readonly executorHealthy?: () => boolean;
  /** Resolves oci:// sources and spec.dependencies (src/sources); without one such policies are invalid. */
  readonly resolver?: SourceResolver;
  /** Checks oci:// references and spec.dependencies of a policy being written (syntax only). */
  readonly sourceCheck?: SourceCheck;
}

export interface LocalEngine extends EngineRuntime {
  readonly policies: PolicySet;
  readonly source: LocalPolicySource;
  /** The report of the initial load (problems per file, counts). */
  readonly initialReport: LocalLoadReport;
  /** Re-reads the directory now and reports what loaded. */
  reloadNow(): Promise<LocalLoadReport>;
}

export async function createLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const logger = options.logger ?? silentLogger;
  const executor = options.executor ?? new InProcessExecutor({ compiler: options.compiler ?? kclCompiler });
  const policies = new PolicySet({ executor, observer: options.observer, logger, ...(options.resolver ? { resolver: options.resolver } : {}) });
  let loaded = false;
  const source = new LocalPolicySource({
    dir: options.dir,
    policySet: policies,
    logger,
    debounceMs: options.debounceMs,
    settleMs: options.settleMs,
    rescanMs: options.rescanMs,
    onReload: (report) => {
      loaded = true;
      options.onReload?.(report);
    },
  });
  const initialReport = await source.load();
  if (options.watch ?? true) source.watch();
  // Without an authorizer given, the RBAC manifests of the directory answer (cheap and local, so
  // not cached: an RBAC edit applies with the reload). Without manifests every ServiceAccount
  // check passes — the policies enforce — but nobody may exempt: allowing that would let anyone
  // who writes a canValidate annotation past every guardrail, as no cluster role grants it either.
  const fromDirectory: Authorizer = async (sa, attributes) => {
    const rbac = policies.snapshot().rbac;
    return rbac ? rbac.decide(serviceAccountUser(sa), attributes).allowed : allowAllAuthorizer(sa, attributes);
  };
  const exempt: ExemptCheck = async (user, policy) => {
    const rbac = policies.snapshot().rbac;
    return rbac ? rbac.decide({ user: user.username ?? '', groups: user.groups ?? [] }, exemptAttributes(policy)).allowed : false;
  };
  const authorizer = !options.authorizer
    ? fromDirectory
    : options.authorizerCache === false
      ? options.authorizer
      : cachingAuthorizer(options.authorizer, { logger, ...(options.observer ? { observer: options.observer } : {}), ...options.authorizerCache });
  const handler = createAdmissionHandler({
    policies,
    authorizer,
    exempt,
    // The source answers from the Namespaces of the snapshot in force, which swap together with
    // its policies: a review sees both from one reload.
    namespaces: source,
    exclusions: options.exclusions,
    observer: options.observer,
    logger,
  });
  const readiness = (): Readiness => {
    if (!loaded) return { ready: false, reason: 'policies not loaded yet' };
    if (options.executorHealthy && !options.executorHealthy()) return { ready: false, reason: 'no policy worker is running' };
    return { ready: true };
  };
  return {
    handler: withPolicyValidation(handler, executor, options.sourceCheck),
    policies,
    source,
    initialReport,
    readiness,
    describe: () => [
      `policies from ${options.dir}: ${Object.entries(initialReport.snapshot.counts).map(([state, n]) => `${n} ${state}`).join(', ')}; watching for changes`,
      ...initialReport.problems.map((problem) => `  ${problem.origin ? `${problem.origin}: ` : ''}${problem.message}`),
    ],
    snapshot: () => policies.snapshot(),
    reload: async () => (await source.load()).snapshot,
    reloadNow: () => source.load(),
    close: async () => source.close(),
  };
}
