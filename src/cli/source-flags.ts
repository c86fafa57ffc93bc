/**
 * The flags that say where `oci://` policy sources and kcl.mod dependencies come from, shared by
 * `serve` and the offline commands (eval, test, check, fn), and how they become the source
 * resolver's configuration (src/sources). Every flag has its KCLGUARD_* environment twin, which
 * is how a KRM function container (kclguard fn) is configured.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  createSourceResolver,
  DEFAULT_KCL_REGISTRY,
  DEFAULT_REFRESH_SECONDS,
  DEFAULT_RETRY_SECONDS,
  DEFAULT_SOURCE_BUDGET,
  DEFAULT_SOURCE_LIMITS,
  defaultDockerConfigPath,
  dockerConfigCredentials,
  parseKclRegistry,
  SourceError,
  sourceProblems,
  type CredentialProvider,
  type KclRegistry,
  type SourceConfig,
  type SourceLogger,
  type SourceResolverHandle,
} from '../sources/index.js';
import type { PolicyDefinition, SourceCheck, SourceResolver } from '../engine/index.js';
import { FlagError, InputError } from './errors.js';
import type { FlagSpec, FlagValue } from './flags.js';

const MiB = 1024 * 1024;

/** `${XDG_CACHE_HOME:-~/.cache}/kclguard/sources`. */
export function defaultSourceCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kclguard', 'sources');
}

export const SOURCE_FLAGS: readonly FlagSpec[] = [
  { name: 'source-cache-dir', type: 'string', valueName: 'DIR', description: 'oci:// sources: on-disk cache of pulled packages, by digest (default $XDG_CACHE_HOME/kclguard/sources); none keeps them in memory only' },
  { name: 'source-refresh-seconds', type: 'integer', min: 10, max: 86400, default: DEFAULT_REFRESH_SECONDS, description: 'oci:// sources: how often a tag is checked again for a new digest' },
  { name: 'source-retry-seconds', type: 'integer', min: 1, max: 86400, default: DEFAULT_RETRY_SECONDS, description: 'oci:// sources: how soon a failed pull is tried again' },
  { name: 'source-load-budget-seconds', type: 'integer', min: 1, max: 600, default: 10, description: 'serve: the longest a policy load waits for a pull; a slower pull finishes in the background and loads then' },
  { name: 'kcl-registry', type: 'string', valueName: 'REGISTRY/PREFIX', default: `${DEFAULT_KCL_REGISTRY.registry}/${DEFAULT_KCL_REGISTRY.repository}`, description: 'where kcl.mod registry dependencies (k8s = "1.31") are pulled from, as oci://REGISTRY/PREFIX/NAME:VERSION' },
  { name: 'registry-ca-file', type: 'string', valueName: 'FILE', description: 'PEM CA certificates trusted for registries, besides the built-in roots' },
  { name: 'registry-plain-http', type: 'string', valueName: 'HOST:PORT,...', description: 'registries spoken to over plain HTTP; only loopback addresses (127.0.0.1, localhost, ::1) are accepted' },
  { name: 'allowed-registries', type: 'string', valueName: 'HOST[:PORT],...', description: 'registries oci:// sources and dependencies may come from (default: any)' },
  { name: 'docker-config', type: 'string', valueName: 'FILE', description: 'registry credentials (docker config.json) for local mode and the offline commands (default $DOCKER_CONFIG/config.json, else ~/.docker/config.json)' },
  { name: 'source-credentials', type: 'enum', values: ['secrets', 'none'], default: 'secrets', description: "cluster mode: read a policy's spec.credentials Secret as its ServiceAccount (secrets), or use no registry credentials at all (none)" },
  { name: 'source-max-layer-mb', type: 'integer', min: 1, max: 1024, default: DEFAULT_SOURCE_LIMITS.maxLayerBytes / MiB, description: 'oci:// sources: the largest package layer downloaded, MiB' },
  { name: 'source-max-unpacked-mb', type: 'integer', min: 1, max: 4096, default: DEFAULT_SOURCE_LIMITS.maxUnpackedBytes / MiB, description: "oci:// sources: the most a package's files may add up to, MiB" },
  { name: 'source-max-files', type: 'integer', min: 1, max: 1_000_000, default: DEFAULT_SOURCE_LIMITS.maxFiles, description: 'oci:// sources: the most files one package may hold' },
  { name: 'source-memory-mb', type: 'integer', min: 1, max: 65536, default: DEFAULT_SOURCE_BUDGET.totalBytes / MiB, description: 'serve: the most resolved source text held for all KCLRuns together, MiB (S3004 beyond it); raise it with the memory limit' },
  { name: 'source-namespace-memory-mb', type: 'integer', min: 1, max: 65536, default: DEFAULT_SOURCE_BUDGET.namespaceBytes / MiB, description: "serve: the most resolved source text held for one namespace's KCLRuns, and for the ClusterKCLRuns (outside the total), MiB (S3004 beyond it)" },
];

export const SOURCE_FLAG_NAMES: ReadonlySet<string> = new Set(SOURCE_FLAGS.map((f) => f.name));

type Values = Readonly<Record<string, FlagValue | undefined>>;

function commaList(value: FlagValue | undefined): string[] {
  if (value === undefined) return [];
  return String(value)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export interface SourceSetup {
  readonly config: SourceConfig;
  readonly kclRegistry: KclRegistry;
}

/**
 * The resolver configuration from the flags. `mode`: 'serve' waits for a pull at most the load
 * budget; 'offline' (eval, test, check, fn) waits as long as a pull takes. `credentials`
 * overrides the docker config file (cluster mode's Secrets).
 */
export function sourceSetup(
  values: Values,
  env: Readonly<Record<string, string | undefined>>,
  mode: 'serve' | 'offline',
  options: { credentials?: CredentialProvider; logger?: SourceLogger } = {},
): SourceSetup {
  let kclRegistry: KclRegistry;
  try {
    kclRegistry = parseKclRegistry(String(values['kcl-registry'] ?? `${DEFAULT_KCL_REGISTRY.registry}/${DEFAULT_KCL_REGISTRY.repository}`));
  } catch (error) {
    throw new FlagError('C1013', { flag: '--kcl-registry', reason: (error as SourceError).detail });
  }
  const caFile = values['registry-ca-file'];
  let caPem: string[] | undefined;
  if (caFile !== undefined) {
    try {
      caPem = [readFileSync(String(caFile), 'utf8')];
    } catch (error) {
      throw new InputError('C2001', { path: String(caFile), reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' });
    }
    if (!caPem[0]!.includes('-----BEGIN CERTIFICATE-----')) throw new InputError('C2019', { flag: '--registry-ca-file', path: String(caFile) });
  }
  const cacheDir = values['source-cache-dir'] !== undefined ? String(values['source-cache-dir']) : defaultSourceCacheDir(env);
  const dockerConfig = values['docker-config'];
  const credentials =
    options.credentials ??
    dockerConfigCredentials(dockerConfig !== undefined ? String(dockerConfig) : defaultDockerConfigPath(env), dockerConfig !== undefined);
  const allowed = commaList(values['allowed-registries']);
  const config: SourceConfig = {
    ...(cacheDir !== 'none' ? { cacheDir } : {}),
    refreshSeconds: Number(values['source-refresh-seconds'] ?? DEFAULT_REFRESH_SECONDS),
    retrySeconds: Number(values['source-retry-seconds'] ?? DEFAULT_RETRY_SECONDS),
    kclRegistry,
    plainHttpRegistries: commaList(values['registry-plain-http']),
    ...(allowed.length > 0 ? { allowedRegistries: allowed } : {}),
    ...(caPem ? { caPem } : {}),
    limits: {
      maxLayerBytes: Number(values['source-max-layer-mb'] ?? DEFAULT_SOURCE_LIMITS.maxLayerBytes / MiB) * MiB,
      maxUnpackedBytes: Number(values['source-max-unpacked-mb'] ?? DEFAULT_SOURCE_LIMITS.maxUnpackedBytes / MiB) * MiB,
      maxFiles: Number(values['source-max-files'] ?? DEFAULT_SOURCE_LIMITS.maxFiles),
    },
    ...(mode === 'serve'
      ? {
          loadBudgetMs: Number(values['source-load-budget-seconds'] ?? 10) * 1000,
          budget: {
            totalBytes: Number(values['source-memory-mb'] ?? DEFAULT_SOURCE_BUDGET.totalBytes / MiB) * MiB,
            namespaceBytes: Number(values['source-namespace-memory-mb'] ?? DEFAULT_SOURCE_BUDGET.namespaceBytes / MiB) * MiB,
          },
        }
      : // A one-shot command holds only what it runs: no budget shared with other tenants.
        { budget: { totalBytes: Number.POSITIVE_INFINITY, namespaceBytes: Number.POSITIVE_INFINITY } }),
    credentials,
    ...(options.logger ? { logger: options.logger } : {}),
  };
  return { config, kclRegistry };
}

/** Builds the resolver; a configuration the sources layer refuses (plain HTTP off loopback) is a FlagError. */
export function buildResolver(setup: SourceSetup): SourceResolverHandle {
  try {
    return createSourceResolver(setup.config);
  } catch (error) {
    if (error instanceof SourceError) throw new FlagError('C1013', { flag: '--registry-plain-http', reason: error.detail });
    throw error;
  }
}

/** The admission check of a policy being written: its reference and dependencies parse. */
export function sourceCheckFor(kclRegistry: KclRegistry): SourceCheck {
  return (definition: PolicyDefinition) => sourceProblems(definition, kclRegistry);
}

/** The source flags that mean something to a one-shot command (no timers, no cluster). */
export const OFFLINE_SOURCE_FLAGS: readonly FlagSpec[] = SOURCE_FLAGS.filter(
  (f) => !['source-load-budget-seconds', 'source-credentials', 'source-refresh-seconds', 'source-retry-seconds', 'source-memory-mb', 'source-namespace-memory-mb'].includes(f.name),
);

/** The resolver of an offline command (eval, test, check, fn): waits for every pull. */
export function offlineResolver(values: Values, env: Readonly<Record<string, string | undefined>> = process.env): SourceResolver {
  return buildResolver(sourceSetup(values, env, 'offline')).resolver;
}
