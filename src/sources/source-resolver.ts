/**
 * The engine's SourceResolver (structurally: src/sources does not import the engine): turns a
 * policy whose `spec.source` is `oci://...`, or that has `spec.dependencies`, into the files of
 * a KCL package and its dependencies, and says which digest acts and whether it is stale.
 *
 * - Registries are asked when a policy loads, and again only on the refresh timer
 *   (`checkForUpdates`, driven by `watch`), never on the request path.
 * - A load waits for a pull at most `loadBudgetMs`: a slow or hostile registry then costs its
 *   own policy (not ready yet, or its last good version, marked stale), never a stalled reload
 *   for every other policy. The pull goes on, and `onChange` reloads when it ends.
 * - A policy whose source cannot be resolved keeps its last good resolution (same source,
 *   dependencies and credentials), marked stale with the reason; without one it acts nowhere.
 * - Memory is bounded: one program's text by `maxProgramBytes` (S3002), all the text held for the
 *   policies by `budget` (S3004: source-budget.ts), and what is pulled at once by `gate`
 *   (pull-gate.ts). Going over fails the policy that would, never the ones already held.
 */
import { createHash } from 'node:crypto';
import type { Dependency, KclMod } from '../kcl/index.js';
import { normaliseRegistryKey, type CredentialStore } from './credentials.js';
import { dependencyReference, parseDependencyText, type KclRegistry } from './dependencies.js';
import { asSourceError, SourceError } from './errors.js';
import type { PackagePuller, PulledPackage } from './package-puller.js';
import { PullGate } from './pull-gate.js';
import { formatReference, isOciReference, parseOciReference, type OciReference } from './reference.js';
import { filesBytes, SourceBudget, type HeldUnit, type SourceBudgetLimits } from './source-budget.js';

/** The parts of an engine PolicyDefinition the resolver reads. */
export interface ResolvableDefinition {
  readonly identity: { readonly key: string; readonly kind: string; readonly namespace?: string };
  readonly spec: {
    readonly source: string;
    readonly dependencies?: string;
    readonly credentialsSecret?: string;
    readonly serviceAccount?: { readonly namespace: string; readonly name: string };
  };
}

/** The engine's ResolvedSource. */
export interface ResolvedPackage {
  readonly files: Readonly<Record<string, string>>;
  readonly root: string;
  readonly externalPackages?: Readonly<Record<string, string>>;
  readonly digest: string;
}

/** The engine's SourceResolution. */
export type Resolution = { readonly ok: true; readonly resolved: ResolvedPackage; readonly stale?: string } | { readonly ok: false; readonly error: string };

/** The registry credentials a policy may use (its dockerconfigjson Secret, a docker config file...). */
export type CredentialProvider = (definition: ResolvableDefinition) => Promise<CredentialStore | undefined>;

export interface SourceLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface SourceResolverOptions {
  readonly puller: PackagePuller;
  readonly kclRegistry: KclRegistry;
  readonly credentials?: CredentialProvider;
  /** host[:port] of the registries sources may come from; undefined: any. */
  readonly allowedRegistries?: ReadonlySet<string>;
  /** The longest a policy load waits for a pull (default: no limit, as the offline CLI wants). */
  readonly loadBudgetMs?: number;
  /** Packages in one program (the source and every dependency). */
  readonly maxPackages: number;
  /** The KCL text of one program, all its packages together (bytes as held: see textBytes). */
  readonly maxProgramBytes: number;
  /** All the source text held for the policies, and one namespace's share; default: unbounded. */
  readonly budget?: SourceBudgetLimits;
  /** Pulls (download and unpack) running at once; default: unbounded. */
  readonly maxPullsAtOnce?: number;
  readonly logger?: SourceLogger;
  /**
   * How soon a policy whose source failed (or is stale) is resolved again: the watch timer then
   * asks for a reload, because what fixes it (a Secret, an RBAC grant, a registry back up) does
   * not change the policy itself. Default 30 s.
   */
  readonly retryMs?: number;
  readonly now?: () => number;
}

/** Where pulled packages sit among the compiler's files (diagnostics show these paths). */
const OCI_ROOT = '/oci';
const DEPENDENCY_ROOT = '/kcl-deps';
const INLINE_ROOT = '/kclrun';

interface Package {
  readonly root: string;
  readonly files: Readonly<Record<string, string>>;
  readonly mod?: KclMod;
  readonly digest: string;
  /** The package's text as held (shared with every other policy using the same digest). */
  readonly unit: HeldUnit;
}

interface Remembered {
  readonly spec: string;
  readonly resolved: ResolvedPackage;
}

interface Resolved {
  readonly resolved: ResolvedPackage;
  readonly stale?: string;
  readonly units: readonly HeldUnit[];
}

export class OciSourceResolver {
  private readonly lastGood = new Map<string, Remembered>();
  private readonly budget: SourceBudget;
  private readonly gate: PullGate;
  /** Policies whose last resolution failed or was stale: when they were last tried. */
  private readonly failing = new Map<string, number>();
  private changeListener: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SourceResolverOptions) {
    this.budget = new SourceBudget(options.budget ?? { totalBytes: Number.POSITIVE_INFINITY, namespaceBytes: Number.POSITIVE_INFINITY });
    this.gate = new PullGate(options.maxPullsAtOnce ?? Number.POSITIVE_INFINITY);
  }

  /** Source text held for the policies (their last good resolutions): all, or one namespace's. */
  heldBytes(namespace?: string): number {
    return this.budget.heldBytes(namespace);
  }

  /**
   * Forgets the last good resolutions of policies not among `keys` (the policies that still
   * exist), so a deleted policy's text stops counting against the budget and is freed.
   */
  retain(keys: Iterable<string>): void {
    const live = new Set(keys);
    for (const key of [...this.lastGood.keys()]) {
      if (live.has(key)) continue;
      this.lastGood.delete(key);
      this.budget.release(key);
    }
  }

  /** Called when something a load would now see differently became known (a new digest, a pull that finished). */
  onChange(listener: () => void): void {
    this.changeListener = listener;
  }

  /** Checks references with the registries every `intervalMs` (due ones only; see PackagePuller). */
  watch(intervalMs: number): void {
    this.close();
    this.timer = setInterval(() => {
      // A failing policy's retry and a moved tag each reload at once: neither waits for the
      // slowest registry's check (each has its own deadline, but the pass ends with the last).
      if (this.failingDue()) this.changeListener?.();
      void this.options.puller.checkForUpdates(() => this.changeListener?.());
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Whether a failing (or stale) policy is due for another try. A policy that is gone is not
   * tried any more: nothing resolves it again, so it ages out after three retry intervals.
   */
  private failingDue(): boolean {
    const now = this.now();
    const retry = this.options.retryMs ?? 30_000;
    let due = false;
    for (const [key, at] of this.failing) {
      if (now - at >= 3 * retry) this.failing.delete(key);
      else if (now - at >= retry) due = true;
    }
    return due;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async resolve(definition: ResolvableDefinition): Promise<Resolution> {
    const outcome = await this.resolveWithBudget(definition);
    if (outcome.ok && outcome.stale === undefined) this.failing.delete(definition.identity.key);
    else this.failing.set(definition.identity.key, this.now());
    return outcome;
  }

  private async resolveWithBudget(definition: ResolvableDefinition): Promise<Resolution> {
    const key = definition.identity.key;
    const spec = specFingerprint(definition);
    const work = this.resolveNow(definition).then(
      (resolved): Resolution => {
        try {
          this.budget.hold(key, definition.identity.namespace, resolved.units);
        } catch (error) {
          return this.fallBack(key, spec, asSourceError(error).message);
        }
        this.remember(key, spec, resolved.resolved);
        return resolved.stale ? { ok: true, resolved: resolved.resolved, stale: resolved.stale } : { ok: true, resolved: resolved.resolved };
      },
      (error: unknown): Resolution => this.fallBack(key, spec, asSourceError(error).message),
    );
    const budget = this.options.loadBudgetMs;
    if (budget === undefined || !Number.isFinite(budget)) return work;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), budget);
      timer.unref();
    });
    const first = await Promise.race([work, late]);
    clearTimeout(timer);
    if (first !== 'late') return first;
    // Still pulling: this load goes on without it; the finished pull triggers another load.
    void work.then(() => this.changeListener?.());
    return this.fallBack(key, spec, `S2003 RegistryUnavailable: the source is still being pulled after ${budget} ms; the policy loads when the pull completes`);
  }

  private remember(key: string, spec: string, resolved: ResolvedPackage): void {
    const before = this.lastGood.get(key);
    if (before?.resolved.digest !== resolved.digest) this.options.logger?.info({ policy: key, digest: resolved.digest }, 'policy source resolved');
    this.lastGood.set(key, { spec, resolved });
  }

  private fallBack(key: string, spec: string, reason: string): Resolution {
    const remembered = this.lastGood.get(key);
    this.options.logger?.warn({ policy: key, reason, stale: remembered?.spec === spec }, 'policy source could not be resolved');
    if (remembered && remembered.spec === spec) return { ok: true, resolved: remembered.resolved, stale: `${reason}; acting on the last good version ${remembered.resolved.digest}` };
    return { ok: false, error: reason };
  }

  private async resolveNow(definition: ResolvableDefinition): Promise<Resolved> {
    const store = await this.credentialsOf(definition);
    const stale: string[] = [];
    const namespace = definition.identity.namespace ?? '';
    const pull = async (reference: OciReference, what: string, cancelled?: () => boolean): Promise<Pulled> => {
      this.checkAllowed(reference, what);
      const pulled = await this.gate.run(namespace, () => (cancelled?.() ? Promise.reject(CANCELLED) : this.options.puller.pull(reference, store?.get(normaliseRegistryKey(reference.registry)))));
      if (pulled.stale) stale.push(`${what}: ${pulled.stale}`);
      const unit = this.budget.intern({ id: pulled.digest, files: pulled.content.files, bytes: filesBytes(pulled.content.files) });
      return { pulled, unit };
    };

    const { source } = definition.spec;
    let main: Package;
    if (isOciReference(source)) {
      const reference = parseOciReference(source);
      const { pulled, unit } = await pull(reference, 'spec.source');
      const root = `${OCI_ROOT}/${reference.registry}/${reference.repository}`;
      main = { root, files: rooted(root, unit.files), digest: pulled.digest, unit, ...(pulled.content.mod ? { mod: pulled.content.mod } : {}) };
    } else {
      // Inline KCL with dependencies: the file is named like an inline policy's program.
      const path = `${INLINE_ROOT}/${definition.identity.key}.k`;
      const digest = `sha256:${createHash('sha256').update(source).digest('hex')}`;
      const files = { [path]: source };
      main = { root: path.slice(0, path.lastIndexOf('/')), files, digest, unit: { id: `inline:${digest}`, files, bytes: filesBytes(files) } };
    }

    const wanted: Dependency[] = [...(definition.spec.dependencies !== undefined ? parseDependencyText(definition.spec.dependencies) : []), ...(main.mod?.dependencies.values() ?? [])];
    if (!isOciReference(source)) {
      const local = wanted.find((dep) => dep.path !== undefined);
      if (local) throw new SourceError('S1002', `dependency '${local.name}' is a path; an inline source has no files beside it (use an oci:// source for a package with local modules)`);
    }
    const packages = await this.resolveDependencies(main, wanted, pull);
    const files: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, main.files);
    const externalPackages: Record<string, string> = {};
    for (const [name, pkg] of packages) {
      Object.assign(files, pkg.files);
      externalPackages[name] = pkg.root;
    }
    const digest = packages.size === 0 && isOciReference(source) ? main.digest : combinedDigest(main.digest, packages);
    const resolved: ResolvedPackage = { files, root: main.root, digest, ...(packages.size > 0 ? { externalPackages } : {}) };
    const units = [main.unit, ...[...packages.values()].map((pkg) => pkg.unit)];
    return stale.length > 0 ? { resolved, units, stale: stale.join('; ') } : { resolved, units };
  }

  /**
   * The dependency closure, breadth first: the policy's own entries (spec.dependencies, then its
   * kcl.mod) come first and win over a dependency's entries for the same name, as the reference's
   * tooling picks one version per name for the whole program. Vendored (`vendor/<name>_<version>`)
   * and path dependencies are files already.
   */
  private async resolveDependencies(main: Package, wanted: Dependency[], pull: (reference: OciReference, what: string, cancelled?: () => boolean) => Promise<Pulled>): Promise<Map<string, Package>> {
    const chosen = new Map<string, Package>();
    const seen = new Set<string>();
    let packages = 1;
    let size = main.unit.bytes;
    const tooBig = (): SourceError => new SourceError('S3002', `the source and its dependencies add up to more than ${this.options.maxProgramBytes} bytes of KCL`);
    if (size > this.options.maxProgramBytes) throw tooBig();
    // Set once the program is known to fail: dependencies still waiting for a pull are not pulled.
    let failed: unknown;
    let level: { dep: Dependency; from: Package }[] = wanted.map((dep) => ({ dep, from: main }));
    while (level.length > 0) {
      const next: { dep: Dependency; from: Package }[] = [];
      const pulls = level
        .filter(({ dep }) => {
          if (seen.has(dep.name)) return false;
          seen.add(dep.name);
          return true;
        })
        .map(async ({ dep, from }) => {
          if (dep.path !== undefined || isVendored(main, from, dep)) return;
          const reference = dependencyReference(dep, this.options.kclRegistry)!;
          if (++packages > this.options.maxPackages) {
            throw new SourceError('S3002', `the program needs more than ${this.options.maxPackages} packages (the source and its dependencies)`);
          }
          const { pulled, unit } = await pull(reference, `dependency '${dep.name}' (${formatReference(reference)})`, () => failed !== undefined);
          size += unit.bytes;
          if (size > this.options.maxProgramBytes) throw tooBig();
          const version = pulled.tag ?? dep.version ?? dep.tag ?? pulled.digest.slice(7, 19);
          const root = `${DEPENDENCY_ROOT}/${dep.name}_${version}`;
          const pkg: Package = { root, files: rooted(root, unit.files), digest: pulled.digest, unit, ...(pulled.content.mod ? { mod: pulled.content.mod } : {}) };
          chosen.set(dep.name, pkg);
          for (const child of pulled.content.mod?.dependencies.values() ?? []) next.push({ dep: child, from: pkg });
        })
        .map((pulling) =>
          pulling.catch((error: unknown) => {
            failed ??= error;
          }),
        );
      await Promise.all(pulls);
      if (failed !== undefined) throw failed;
      level = next;
    }
    return chosen;
  }

  private checkAllowed(reference: OciReference, what: string): void {
    const allowed = this.options.allowedRegistries;
    if (allowed && !allowed.has(reference.registry)) {
      throw new SourceError('S1003', `${what}: registry ${reference.registry} is not among the allowed registries (${[...allowed].join(', ')})`);
    }
  }

  private async credentialsOf(definition: ResolvableDefinition): Promise<CredentialStore | undefined> {
    if (!this.options.credentials) return undefined;
    try {
      return await this.options.credentials(definition);
    } catch (error) {
      const e = asSourceError(error);
      throw e.code === 'S4001' ? e : new SourceError('S4001', e.detail);
    }
  }
}

/** What a pull that was still waiting throws once its program has failed (never reported). */
const CANCELLED = new SourceError('S3002', 'not pulled: the program already failed');

interface Pulled {
  readonly pulled: PulledPackage;
  readonly unit: HeldUnit;
}

function rooted(root: string, files: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [path, text] of Object.entries(files)) out[`${root}/${path}`] = text;
  return out;
}

/** Whether `kcl mod vendor` put the dependency in the main package's (or its parent's) vendor/. */
function isVendored(main: Package, from: Package, dep: Dependency): boolean {
  const version = dep.version ?? dep.tag;
  const dir = version ? `${dep.name}_${version}` : dep.name;
  return [main, from].some((pkg) => Object.keys(pkg.files).some((path) => path.startsWith(`${pkg.root}/vendor/${dir}/`)));
}

/** One digest for a program made of several packages: it changes whenever any of them does. */
function combinedDigest(main: string, packages: ReadonlyMap<string, Package>): string {
  const lines = [`main=${main}`, ...[...packages].map(([name, pkg]) => `${name}=${pkg.digest}`).sort()];
  return `sha256:${createHash('sha256').update(lines.join('\n')).digest('hex')}`;
}

/** What the policy asked for: a remembered resolution stands in only for the same request. */
function specFingerprint(definition: ResolvableDefinition): string {
  const { source, dependencies, credentialsSecret, serviceAccount } = definition.spec;
  return JSON.stringify([source, dependencies ?? null, credentialsSecret ?? null, serviceAccount ? `${serviceAccount.namespace}/${serviceAccount.name}` : null]);
}

/**
 * What can be said about a policy's source without a registry: the oci:// reference and the
 * dependency entries parse, and every dependency is one kclguard can fetch. For the admission
 * check of a policy being written (the request path never pulls).
 */
export function sourceProblems(definition: ResolvableDefinition, kclRegistry: KclRegistry): string[] | undefined {
  const problems: string[] = [];
  const attempt = (run: () => unknown): void => {
    try {
      run();
    } catch (error) {
      problems.push(asSourceError(error).message);
    }
  };
  const { source, dependencies } = definition.spec;
  if (isOciReference(source)) attempt(() => parseOciReference(source));
  if (dependencies !== undefined) {
    attempt(() => {
      for (const dep of parseDependencyText(dependencies)) {
        if (dep.path !== undefined && !isOciReference(source)) throw new SourceError('S1002', `dependency '${dep.name}' is a path; an inline source has no files beside it`);
        dependencyReference(dep, kclRegistry);
      }
    });
  }
  return problems.length > 0 ? problems : undefined;
}
