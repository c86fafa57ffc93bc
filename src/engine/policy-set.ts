/**
 * The set of loaded policies as an immutable, ordered snapshot. A reload builds a complete new
 * snapshot, has the executor compile it everywhere jobs may run, and only then swaps one
 * reference: a request that started on the old set finishes on it, and no request ever sees half
 * a reload — not on the main thread, not in any worker.
 *
 * Order (the order mutations apply in): KCLRuns by namespace then name, then ClusterKCLRuns by
 * name — cluster policies run last so a cluster admin's mutation has the final word over a
 * tenant's. Comparison is by UTF-16 code unit, never locale, so the order is the same everywhere.
 *
 * A revision that fails the schema never replaces a valid one: a policy whose manifest is
 * invalid cannot say what it selects or how it fails, so it would never act, and a typo (or a
 * file caught half-written) would silently turn enforcement off. The last valid revision keeps
 * acting, marked stale, until a valid revision or a deletion (the document's absence) arrives.
 */
import { invalidPolicy, loadedPolicy, POLICY_STATES, programFilename, type CompiledPolicy, type PolicyState, type StaleRevision } from './compiled-policy.js';
import type { ExecutablePolicy, PolicyExecutor } from './executor.js';
import { silentLogger, type EngineLogger } from './logger.js';
import { needsResolution, type PolicyDefinition, type ResolvedSource } from './model.js';
import type { NamespaceLookup } from './namespaces.js';
import type { RbacIndex } from './rbac/index.js';
import { notify, type EngineObserver } from './observer.js';
import { parsePolicy } from './schema.js';

export interface PolicySnapshot {
  /** Increases by one per swap; names the compiled programs in the executor. */
  readonly generation: number;
  readonly policies: readonly CompiledPolicy[];
  readonly counts: Readonly<Record<PolicyState, number>>;
  /** Policies acting on their last valid revision because a newer one was rejected. */
  readonly stale: number;
  /**
   * The Namespaces loaded together with these policies (local mode), so that a request sees
   * policies and Namespaces of one and the same reload. Absent when Namespaces come from a live
   * cache (cluster mode).
   */
  readonly namespaces?: NamespaceLookup;
  /**
   * The RBAC manifests loaded together with these policies (local mode), answering the
   * ServiceAccount and exempt checks. Absent: local mode allows every check; cluster mode asks
   * the API server.
   */
  readonly rbac?: RbacIndex;
}

export interface PolicyDocument {
  readonly doc: unknown;
  /** Where it came from, e.g. a file path. */
  readonly origin?: string;
  /**
   * Set when this document is the last usable content of a source whose newest revision could
   * not be used (an empty or unparsable file): why. Its policy is marked stale.
   */
  readonly staleBecause?: readonly string[];
}

export interface ReplaceOptions {
  /** Namespaces to swap in together with the policies (see PolicySnapshot.namespaces). */
  readonly namespaces?: NamespaceLookup;
  /** RBAC manifests to swap in together with the policies (see PolicySnapshot.rbac). */
  readonly rbac?: RbacIndex;
}

export interface LoadProblem {
  readonly origin?: string;
  /** The policy key when known. */
  readonly policy?: string;
  readonly message: string;
}

export interface LoadReport {
  readonly snapshot: PolicySnapshot;
  /** Documents that could not become a policy at all, and duplicates. */
  readonly problems: readonly LoadProblem[];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePolicies(a: CompiledPolicy, b: CompiledPolicy): number {
  const ac = a.identity.kind === 'ClusterKCLRun' ? 1 : 0;
  const bc = b.identity.kind === 'ClusterKCLRun' ? 1 : 0;
  if (ac !== bc) return ac - bc;
  return compareText(a.identity.namespace ?? '', b.identity.namespace ?? '') || compareText(a.identity.name, b.identity.name);
}

function countByState(policies: readonly CompiledPolicy[]): Record<PolicyState, number> {
  const counts = Object.fromEntries(POLICY_STATES.map((s) => [s, 0])) as Record<PolicyState, number>;
  for (const p of policies) counts[p.state] += 1;
  return counts;
}

/** How an oci:// source (or an inline source with dependencies) became files to compile. */
export type SourceResolution =
  | {
      readonly ok: true;
      readonly resolved: ResolvedSource;
      /** Set when the source could not be refreshed and the last good content is used: why. */
      readonly stale?: string;
    }
  | { readonly ok: false; readonly error: string };

/** Pulls and unpacks policy packages (src/sources); the engine itself never touches a registry. */
export interface SourceResolver {
  resolve(definition: PolicyDefinition): Promise<SourceResolution>;
  /** Told after each load which policies exist, so it can free what deleted ones held. */
  retain?(keys: Iterable<string>): void;
}

export interface PolicySetOptions {
  /** Compiles and runs the policies: in-process (CLI, tests) or the worker pool (server). */
  readonly executor: PolicyExecutor;
  /** Resolves oci:// sources and dependencies; without one such policies are invalid. */
  readonly resolver?: SourceResolver;
  readonly observer?: EngineObserver;
  readonly logger?: EngineLogger;
  /** Namespace of a KCLRun document that names none. */
  readonly defaultNamespace?: string;
}

/** A snapshot held for the length of one request; give it back with `release`. */
export interface SnapshotLease {
  readonly snapshot: PolicySnapshot;
  release(): void;
}

export class PolicySet {
  private current: PolicySnapshot = Object.freeze({
    generation: 0,
    policies: Object.freeze([]) as readonly CompiledPolicy[],
    counts: Object.freeze(countByState([])),
    stale: 0,
  });
  /** Requests in flight per generation, so the executor can drop a generation nobody uses. */
  private readonly leases = new Map<number, number>();
  private nextGeneration = 1;
  /** Reloads apply one at a time, in the order they were asked for. */
  private loading: Promise<unknown> = Promise.resolve();
  private readonly ready: Promise<void>;

  constructor(private readonly options: PolicySetOptions) {
    // Generation 0 (no policies) is runnable like any other.
    this.ready = options.executor.prepare(0, []).then(() => undefined);
  }

  get executor(): PolicyExecutor {
    return this.options.executor;
  }

  /** The current snapshot, for readers that run no policy (status, registration, summaries). */
  snapshot(): PolicySnapshot {
    return this.current;
  }

  /** The snapshot to evaluate one request against, held until `release()`. */
  acquire(): SnapshotLease {
    const snapshot = this.current;
    this.leases.set(snapshot.generation, (this.leases.get(snapshot.generation) ?? 0) + 1);
    let released = false;
    return {
      snapshot,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.leases.get(snapshot.generation) ?? 1) - 1;
        if (left > 0) this.leases.set(snapshot.generation, left);
        else {
          this.leases.delete(snapshot.generation);
          if (snapshot !== this.current) this.options.executor.release(snapshot.generation);
        }
      },
    };
  }

  /**
   * Replaces the whole set with these documents (only KCLRun / ClusterKCLRun documents). A key
   * absent from `documents` is deleted; a document that fails the schema keeps the key's last
   * valid revision, marked stale.
   */
  replace(documents: readonly PolicyDocument[], options: ReplaceOptions = {}): Promise<LoadReport> {
    const next = this.loading.then(() => this.ready).then(() => this.load(documents, options));
    this.loading = next.catch(() => undefined);
    return next;
  }

  private async load(documents: readonly PolicyDocument[], options: ReplaceOptions): Promise<LoadReport> {
    const logger = this.options.logger ?? silentLogger;
    const parsed = parseDocuments(documents, this.options.defaultNamespace);
    const { problems } = parsed;
    const previous = this.current;
    const kept = this.keepLastValid(parsed.rejected, previous, logger);
    const { definitions, invalid, sources } = await resolveSources(parsed.definitions, this.options.resolver);
    invalid.push(...kept.invalid);
    // The last valid revisions are compiled again for this generation (the executor's cache makes
    // that cheap), exactly as they were resolved before.
    for (const { policy } of kept.stale.values()) {
      definitions.push(policy.definition!);
      if (policy.source) sources.set(policy.identity.key, policy.source);
    }
    this.options.resolver?.retain?.(definitions.map((definition) => definition.identity.key));
    const generation = this.nextGeneration++;
    const executable: ExecutablePolicy[] = definitions.map((definition) => ({ definition, filename: programFilename(definition.identity) }));
    const outcomes = await this.options.executor.prepare(generation, executable);
    const policies: CompiledPolicy[] = [...invalid];
    for (const definition of definitions) {
      const key = definition.identity.key;
      const outcome = outcomes.get(key) ?? { ok: false, diagnostics: [], errors: ['the policy was not compiled'] };
      let loaded = loadedPolicy(definition, outcome);
      const source = sources.get(key);
      if (source) loaded = { ...loaded, source };
      const stale = kept.stale.get(key)?.stale ?? staleFromSource(parsed.hints.get(key), definition.origin);
      if (stale) loaded = { ...loaded, stale };
      else if (previous.policies.find((p) => p.identity.key === key)?.stale) logger.info({ policy: key, origin: definition.origin }, 'valid policy revision accepted; no longer stale');
      policies.push(loaded);
    }
    for (const policy of policies) {
      if (policy.state === 'invalid') logger.warn({ policy: policy.identity.key, origin: policy.origin, errors: policy.errors }, 'policy is invalid');
    }
    policies.sort(comparePolicies);
    const counts = Object.freeze(countByState(policies));
    const stale = policies.filter((p) => p.stale).length;
    this.current = Object.freeze({
      generation,
      policies: Object.freeze(policies),
      counts,
      stale,
      ...(options.namespaces ? { namespaces: options.namespaces } : {}),
      ...(options.rbac ? { rbac: options.rbac } : {}),
    });
    if (!this.leases.has(previous.generation)) this.options.executor.release(previous.generation);
    notify(
      this.options.observer,
      'onPoliciesChanged',
      counts,
      policies.map((p) => ({ key: p.identity.key, state: p.state, stale: p.stale !== undefined })),
    );
    logger.info({ generation, ...counts, stale }, 'policy set loaded');
    return { snapshot: this.current, problems };
  }

  /** Rejected revisions of keys that had a valid one: that one stays, stale; the rest are invalid. */
  private keepLastValid(rejected: readonly Rejected[], previous: PolicySnapshot, logger: EngineLogger): { stale: Map<string, { policy: CompiledPolicy; stale: StaleRevision }>; invalid: CompiledPolicy[] } {
    const before = new Map(previous.policies.map((p) => [p.identity.key, p]));
    const stale = new Map<string, { policy: CompiledPolicy; stale: StaleRevision }>();
    const invalid: CompiledPolicy[] = [];
    for (const { policy, generation, staleBecause } of rejected) {
      const key = policy.identity.key;
      const valid = before.get(key);
      // The same key of another kind (a KCLRun in a namespace named `cluster`, refused, against a
      // ClusterKCLRun) is another policy: it must not keep a deleted ClusterKCLRun in force.
      if (!valid?.definition || valid.identity.kind !== policy.identity.kind) {
        invalid.push(policy);
        continue;
      }
      const revision: StaleRevision = {
        errors: [...policy.errors, ...(staleBecause ?? [])],
        ...(policy.origin !== undefined ? { origin: policy.origin } : {}),
        ...(generation !== undefined ? { generation } : {}),
      };
      if (valid.stale?.errors.join('\n') !== revision.errors.join('\n') || valid.stale?.generation !== revision.generation) {
        logger.warn({ policy: key, origin: policy.origin, errors: policy.errors }, 'policy revision rejected; its last valid revision stays in force (stale)');
      }
      stale.set(key, { policy: valid, stale: revision });
    }
    return { stale, invalid };
  }
}

/** The mark of a valid revision whose source's newest content could not be used. */
function staleFromSource(because: readonly string[] | undefined, origin: string | undefined): StaleRevision | undefined {
  if (!because) return undefined;
  return { errors: because, ...(origin !== undefined ? { origin } : {}) };
}

/** A document that names a policy but failed the schema. */
interface Rejected {
  readonly policy: CompiledPolicy;
  /** metadata.generation of the document, when it has one. */
  readonly generation?: number;
  readonly staleBecause?: readonly string[];
}

function generationOf(doc: unknown): number | undefined {
  const generation = (doc as { metadata?: { generation?: unknown } } | null)?.metadata?.generation;
  return typeof generation === 'number' ? generation : undefined;
}

/** What resolving sources gave: definitions to compile, policies that cannot act, source states. */
interface Resolved {
  readonly definitions: PolicyDefinition[];
  readonly invalid: CompiledPolicy[];
  readonly sources: Map<string, NonNullable<CompiledPolicy['source']>>;
}

/** Pulls what needs pulling before anything compiles; one source that cannot be resolved fails alone. */
async function resolveSources(definitions: readonly PolicyDefinition[], resolver: SourceResolver | undefined): Promise<Resolved> {
  const result: Resolved = { definitions: [], invalid: [], sources: new Map() };
  const resolutions = await Promise.all(
    definitions.map(async (definition): Promise<SourceResolution | undefined> => {
      if (!needsResolution(definition.spec)) return undefined;
      if (!resolver) return { ok: false, error: 'oci:// sources and spec.dependencies are not available here (no source resolver)' };
      return resolver.resolve(definition).catch((error: unknown) => ({ ok: false as const, error: error instanceof Error ? error.message : String(error) }));
    }),
  );
  definitions.forEach((definition, i) => {
    const resolution = resolutions[i];
    if (!resolution) result.definitions.push(definition);
    else if (!resolution.ok) {
      // A policy whose source never resolved acts nowhere (it has no definition to select with).
      result.invalid.push({
        ...invalidPolicy(definition.identity, [`the source could not be resolved: ${resolution.error}`], definition.origin),
        sourceError: resolution.error,
      });
    } else {
      result.definitions.push({ ...definition, resolved: resolution.resolved });
      result.sources.set(definition.identity.key, { digest: resolution.resolved.digest, ...(resolution.stale ? { stale: resolution.stale } : {}) });
    }
  });
  return result;
}

function isClusterDoc(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && (doc as { kind?: unknown }).kind === 'ClusterKCLRun';
}

/** Parses each document once; duplicates and documents that are not policies become problems. */
function parseDocuments(
  documents: readonly PolicyDocument[],
  defaultNamespace: string | undefined,
): { definitions: PolicyDefinition[]; rejected: Rejected[]; hints: Map<string, readonly string[]>; problems: LoadProblem[] } {
  const problems: LoadProblem[] = [];
  const seen = new Map<string, string | undefined>();
  const definitions: PolicyDefinition[] = [];
  const rejected: Rejected[] = [];
  const hints = new Map<string, readonly string[]>();
  // ClusterKCLRuns claim their keys first: an invalid KCLRun in a namespace named `cluster` (which
  // the schema refuses) must never take cluster/NAME away from the admin's policy of that name.
  const clusterFirst = [...documents.filter(({ doc }) => isClusterDoc(doc)), ...documents.filter(({ doc }) => !isClusterDoc(doc))];
  for (const { doc, origin, staleBecause } of clusterFirst) {
    const parsed = parsePolicy(doc, { defaultNamespace, origin });
    const identity = parsed.ok ? parsed.policy.identity : parsed.identity;
    if (!identity) {
      problems.push({ origin, message: (parsed.ok ? [] : parsed.errors).join('; ') });
      continue;
    }
    if (seen.has(identity.key)) {
      problems.push({ origin, policy: identity.key, message: `duplicate policy ${identity.key} (first defined in ${seen.get(identity.key) ?? 'an earlier document'}); ignored` });
      continue;
    }
    seen.set(identity.key, origin);
    if (staleBecause) hints.set(identity.key, staleBecause);
    if (parsed.ok) definitions.push(parsed.policy);
    else {
      const generation = generationOf(doc);
      rejected.push({ policy: invalidPolicy(identity, parsed.errors, origin), ...(generation !== undefined ? { generation } : {}), ...(staleBecause ? { staleBecause } : {}) });
    }
  }
  return { definitions, rejected, hints, problems };
}
