/**
 * Wiring for running without a cluster: a policy directory (watched), its Namespaces, the
 * real KCL compiler, an authorizer (allow-all by default) behind the TTL cache, and the
 * AdmissionHandler the transport calls.
 */
import { allowAllAuthorizer, cachingAuthorizer, type Authorizer, type AuthorizerCacheOptions } from './authorizer.js';
import type { AdmissionHandler } from './contract.js';
import type { ExclusionConfig } from './exclusions.js';
import { createAdmissionHandler } from './handler.js';
import { kclCompiler } from './kcl-compiler.js';
import { LocalPolicySource, type LocalLoadReport } from './local-policy-source.js';
import { silentLogger, type EngineLogger } from './logger.js';
import type { EngineObserver } from './observer.js';
import type { PolicyCompiler } from './policy-compiler.js';
import { PolicySet } from './policy-set.js';

export interface LocalEngineOptions {
  /** The policy directory (KCLRun / ClusterKCLRun / Namespace YAML). */
  readonly dir: string;
  /** Default: kclguard's KCL interpreter. */
  readonly compiler?: PolicyCompiler;
  /** Default: allow every ServiceAccount. Always wrapped in the TTL cache unless `authorizerCache` is false. */
  readonly authorizer?: Authorizer;
  readonly authorizerCache?: AuthorizerCacheOptions | false;
  readonly exclusions?: Partial<ExclusionConfig>;
  readonly observer?: EngineObserver;
  readonly logger?: EngineLogger;
  /** Watch the directory and hot-reload (default true). */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  /** Called after every reload, the first load included. */
  readonly onReload?: (report: LocalLoadReport) => void;
}

export interface LocalEngine {
  readonly handler: AdmissionHandler;
  readonly policies: PolicySet;
  readonly source: LocalPolicySource;
  /** The report of the initial load (problems per file, counts). */
  readonly initialReport: LocalLoadReport;
  /** Re-reads the directory now. */
  reload(): Promise<LocalLoadReport>;
  /** Stops watching. In-flight requests finish on their snapshot. */
  close(): void;
}

export async function createLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const logger = options.logger ?? silentLogger;
  const policies = new PolicySet({ compiler: options.compiler ?? kclCompiler, observer: options.observer, logger });
  const source = new LocalPolicySource({
    dir: options.dir,
    policySet: policies,
    logger,
    debounceMs: options.debounceMs,
    onReload: options.onReload,
  });
  const initialReport = await source.load();
  if (options.watch ?? true) source.watch();
  const inner = options.authorizer ?? allowAllAuthorizer;
  const authorizer = options.authorizerCache === false ? inner : cachingAuthorizer(inner, options.authorizerCache);
  const handler = createAdmissionHandler({
    policies,
    authorizer,
    namespaces: source,
    exclusions: options.exclusions,
    observer: options.observer,
    logger,
  });
  return {
    handler,
    policies,
    source,
    initialReport,
    reload: () => source.load(),
    close: () => source.close(),
  };
}
