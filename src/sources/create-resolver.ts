/**
 * Builds the source resolver from one configuration (what `kclguard serve` and the offline
 * commands resolve from their flags): transport, registry client, caches, puller, resolver.
 */
import { DEFAULT_KCL_REGISTRY, type KclRegistry } from './dependencies.js';
import { DiskCache } from './disk-cache.js';
import { SourceError } from './errors.js';
import { nodeTransport, type HttpTransport } from './http-transport.js';
import { DEFAULT_SOURCE_LIMITS, type SourceLimits } from './limits.js';
import { PackagePuller } from './package-puller.js';
import { isLoopbackHost, registryHost } from './reference.js';
import { RegistryClient } from './registry-client.js';
import type { SourceBudgetLimits } from './source-budget.js';
import { OciSourceResolver, type CredentialProvider, type SourceLogger } from './source-resolver.js';

export interface SourceConfig {
  /** On-disk cache directory; undefined: memory only. */
  readonly cacheDir?: string;
  readonly cacheMaxBytes?: number;
  /** How often a tag is asked about again (a moved tag is picked up within this). */
  readonly refreshSeconds?: number;
  /** How soon a failed pull is tried again. */
  readonly retrySeconds?: number;
  readonly kclRegistry?: KclRegistry;
  /** host:port of loopback registries spoken to over plain HTTP. */
  readonly plainHttpRegistries?: readonly string[];
  /** host[:port] sources and dependencies may come from; undefined: any. */
  readonly allowedRegistries?: readonly string[];
  /** PEM CAs trusted for registries, beside the built-in roots. */
  readonly caPem?: readonly string[];
  readonly limits?: Partial<SourceLimits>;
  /** The KCL text of one program, all its packages together (default DEFAULT_MAX_PROGRAM_BYTES). */
  readonly maxProgramBytes?: number;
  /** Source text held for all policies, and for one namespace's (default DEFAULT_SOURCE_BUDGET). */
  readonly budget?: Partial<SourceBudgetLimits>;
  /** The longest a policy load waits for a pull; undefined: as long as it takes. */
  readonly loadBudgetMs?: number;
  readonly credentials?: CredentialProvider;
  readonly logger?: SourceLogger;
  /** Tests hand in a transport; default node:http(s). */
  readonly transport?: HttpTransport;
  readonly now?: () => number;
}

export const DEFAULT_REFRESH_SECONDS = 300;
export const DEFAULT_RETRY_SECONDS = 30;
export const DEFAULT_CACHE_MAX_BYTES = 512 * 1024 * 1024;
const MiB = 1024 * 1024;
/**
 * Memory for source text, sized to the chart's 512 MiB pod, where the main thread is budgeted
 * ~100 MiB and each policy worker ~184 MiB (operations.md, "Heap caps"). Real programs are far
 * below these: the Kubernetes schema package is 1.2 MiB of KCL over 722 files.
 *
 * - One program (the source and its dependencies): 16 MiB, over ten Kubernetes packages.
 * - Held for all policies' last good resolutions, each package once: 32 MiB (some 25 versions of
 *   the Kubernetes package); one namespace's policies: 16 MiB (a namespace can hold one program
 *   at the cap, or many sharing packages; ClusterKCLRuns count only in the total).
 * - Unpacked packages cached by digest beside that (characters): 8 MiB; it holds packages that
 *   are pulled again soon (several policies loading the same dependency), not a second copy of
 *   what policies hold.
 * - Pulls at once: 2, so at most two layers (each at most 16 MiB, and 16 MiB of text) are in
 *   flight.
 * Worst case, all full at once: 32 + 2 x 8 + 2 x 32 = 112 MiB, where nothing bounded it before.
 */
export const DEFAULT_MAX_PROGRAM_BYTES = 16 * MiB;
export const DEFAULT_SOURCE_BUDGET: SourceBudgetLimits = Object.freeze({ totalBytes: 32 * MiB, namespaceBytes: 16 * MiB });
const MEMORY_CACHE_BYTES = 8 * MiB;
const MAX_PULLS_AT_ONCE = 2;

export interface SourceResolverHandle {
  readonly resolver: OciSourceResolver;
  readonly refreshSeconds: number;
  readonly retrySeconds: number;
}

/** Checks the configuration (plain HTTP only to loopback) and builds the resolver. */
export function createSourceResolver(config: SourceConfig): SourceResolverHandle {
  for (const registry of config.plainHttpRegistries ?? []) {
    if (!isLoopbackHost(registryHost(registry))) {
      throw new SourceError('S1003', `plain HTTP is allowed only for registries on this machine (localhost, 127.0.0.0/8, ::1), not ${registry}`);
    }
  }
  const limits: SourceLimits = { ...DEFAULT_SOURCE_LIMITS, ...config.limits };
  const refreshSeconds = config.refreshSeconds ?? DEFAULT_REFRESH_SECONDS;
  const retrySeconds = Math.min(config.retrySeconds ?? DEFAULT_RETRY_SECONDS, refreshSeconds);
  const client = new RegistryClient({
    transport: config.transport ?? nodeTransport({ ...(config.caPem ? { extraCaPem: config.caPem } : {}) }),
    limits,
    plainHttpRegistries: new Set((config.plainHttpRegistries ?? []).map((r) => r.toLowerCase())),
    ...(config.now ? { now: config.now } : {}),
  });
  const logger = config.logger;
  const puller = new PackagePuller({
    client,
    limits,
    ...(config.cacheDir !== undefined ? { disk: new DiskCache(config.cacheDir, config.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES) } : {}),
    refreshMs: refreshSeconds * 1000,
    retryMs: retrySeconds * 1000,
    memoryBytes: MEMORY_CACHE_BYTES,
    ...(config.now ? { now: config.now } : {}),
    onCacheError: (error) => logger?.warn({ err: error instanceof Error ? error.message : String(error) }, 'source cache unusable; continuing without it'),
  });
  const resolver = new OciSourceResolver({
    puller,
    kclRegistry: config.kclRegistry ?? DEFAULT_KCL_REGISTRY,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.allowedRegistries ? { allowedRegistries: new Set(config.allowedRegistries.map((r) => r.toLowerCase())) } : {}),
    ...(config.loadBudgetMs !== undefined ? { loadBudgetMs: config.loadBudgetMs } : {}),
    maxPackages: limits.maxPackages,
    maxProgramBytes: config.maxProgramBytes ?? DEFAULT_MAX_PROGRAM_BYTES,
    budget: { ...DEFAULT_SOURCE_BUDGET, ...config.budget },
    maxPullsAtOnce: MAX_PULLS_AT_ONCE,
    retryMs: retrySeconds * 1000,
    ...(config.now ? { now: config.now } : {}),
    ...(logger ? { logger } : {}),
  });
  return { resolver, refreshSeconds, retrySeconds };
}
