/**
 * The engine as cluster mode runs it: the same PolicySet and AdmissionHandler as local mode,
 * fed by informers instead of a directory, with the SubjectAccessReview authorizer.
 */
import type { AdmissionHandler } from '../engine/contract.js';
import type { ExclusionConfig } from '../engine/exclusions.js';
import { createAdmissionHandler } from '../engine/handler.js';
import type { EngineLogger } from '../engine/logger.js';
import type { EngineObserver } from '../engine/observer.js';
import type { PolicyCompiler } from '../engine/policy-compiler.js';
import { PolicySet } from '../engine/policy-set.js';
import { startClusterMode, type ClusterModeOptions } from './cluster-mode.js';

export interface ClusterEngineOptions extends Omit<ClusterModeOptions, 'policySet'> {
  readonly compiler: PolicyCompiler;
  readonly observer?: EngineObserver;
  readonly exclusions?: Partial<ExclusionConfig>;
}

export interface ClusterEngine {
  readonly handler: AdmissionHandler;
  readonly policies: PolicySet;
  /** Whether policies and Namespaces are listed; /readyz follows it. */
  ready(): boolean;
  close(): Promise<void>;
}

export async function createClusterEngine(options: ClusterEngineOptions): Promise<ClusterEngine> {
  const logger: EngineLogger = options.logger;
  const policies = new PolicySet({ compiler: options.compiler, observer: options.observer, logger });
  const cluster = await startClusterMode({ ...options, policySet: policies });
  const handler = createAdmissionHandler({
    policies,
    authorizer: cluster.authorizer,
    namespaces: cluster.namespaces,
    exclusions: options.exclusions,
    observer: options.observer,
    logger,
  });
  return { handler, policies, ready: () => cluster.ready(), close: () => cluster.stop() };
}
