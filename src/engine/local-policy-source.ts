/**
 * Local mode: policies and Namespaces from a directory of YAML files, watched and hot-reloaded.
 *
 * - Every `*.yaml` / `*.yml` below the directory, recursively (see listPolicyFiles for what is
 *   skipped). KCLRun / ClusterKCLRun documents become policies; core/v1 Namespace documents feed
 *   the Namespace lookup; RBAC documents answer the ServiceAccount and exempt checks; every other
 *   kind is ignored.
 * - A reload swaps policies and Namespaces together, as one snapshot.
 * - Nothing a writer can leave behind turns enforcement off silently. A file revision that
 *   cannot be read, is not YAML, is empty, or holds a document cut off before its kind or name
 *   never replaces the file's last usable content: that content stays in force, its policies
 *   marked stale, until a usable revision or the file's deletion. A usable revision that removes
 *   policies or Namespaces, and the removal of a file, take effect once they have held for the
 *   settle period (1 s): a non-atomic save passes through such states only briefly. The
 *   directory itself vanishing keeps everything, stale, until it is back.
 * - The watch survives the directory being deleted and re-created, and a periodic full rescan
 *   catches whatever change events missed.
 */
import { relative } from 'node:path';
import { TreeWatcher } from './directory-watch.js';
import type { EngineLogger } from './logger.js';
import { silentLogger } from './logger.js';
import { StaticNamespaceLookup, type NamespaceInfo, type NamespaceLookup } from './namespaces.js';
import { definedKeys, isNamespaceDocument, isPolicyDocument, isRbacDocument, listPolicyFiles, readRevision, type FileRevision } from './policy-files.js';
import { RbacIndex } from './rbac/index.js';
import type { LoadProblem, PolicyDocument, PolicySet, PolicySnapshot } from './policy-set.js';

export interface LocalLoadReport {
  readonly snapshot: PolicySnapshot;
  readonly files: number;
  readonly namespaces: number;
  /** Per-file and per-document problems, each with its path. */
  readonly problems: readonly LoadProblem[];
}

export interface LocalPolicySourceOptions {
  readonly dir: string;
  readonly policySet: PolicySet;
  readonly logger?: EngineLogger;
  /** Quiet period after the last file event before reloading. Default 100 ms. */
  readonly debounceMs?: number;
  /** How long a removal (of a file, or of documents from a file) must hold to apply. Default 1 s. */
  readonly settleMs?: number;
  /** Full rescan period while watching, in case change events were missed. Default 30 s; 0 disables. */
  readonly rescanMs?: number;
  /** Called after every reload that changed what is in force (the initial load included). */
  readonly onReload?: (report: LocalLoadReport) => void;
  /** Clock in ms (tests inject one). */
  readonly now?: () => number;
}

export const DEFAULT_SETTLE_MS = 1_000;
export const DEFAULT_RESCAN_MS = 30_000;

interface Content {
  readonly text: string;
  readonly docs: readonly unknown[];
}

interface FileState {
  /** The revision in force: the last usable one. */
  readonly effective: Content;
  /** A usable revision that removes something, waiting to hold for the settle period. */
  readonly pending?: { readonly text: string; readonly since: number };
  /** When the file was first found missing. */
  readonly missingSince?: number;
}

/** What one file contributes to a reload. */
interface FileStep {
  /** Absent: the file is forgotten. */
  readonly state?: FileState;
  /** Why its newest revision is not in force (its policies are then stale). */
  readonly staleBecause?: string;
  /** When a pending removal may apply. */
  readonly wakeAt?: number;
}

export class LocalPolicySource implements NamespaceLookup {
  private files = new Map<string, FileState>();
  private watcher: TreeWatcher | undefined;
  private lastDirs: string[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private loading: Promise<LocalLoadReport> | undefined;
  private reloadAgain = false;
  private closed = false;
  private directoryProblem: string | undefined;
  /** What the last applied reload was made of; an identical reload swaps nothing. */
  private lastSignature: string | undefined;
  private lastReport: LocalLoadReport | undefined;

  constructor(private readonly options: LocalPolicySourceOptions) {}

  private get logger(): EngineLogger {
    return this.options.logger ?? silentLogger;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The Namespaces of the snapshot in force. */
  get(name: string): NamespaceInfo | undefined {
    return this.options.policySet.snapshot().namespaces?.get(name);
  }

  /** Reads the directory and replaces the policy set. Concurrent calls are coalesced. */
  async load(): Promise<LocalLoadReport> {
    if (this.loading) {
      this.reloadAgain = true;
      return this.loading;
    }
    this.loading = (async () => {
      let report: LocalLoadReport;
      do {
        this.reloadAgain = false;
        report = await this.loadOnce();
      } while (this.reloadAgain && !this.closed);
      return report;
    })();
    try {
      return await this.loading;
    } finally {
      this.loading = undefined;
    }
  }

  /** Starts watching; changes reload the set after the debounce period. */
  watch(): void {
    this.closed = false;
    this.watcher ??= new TreeWatcher(this.options.dir, () => this.scheduleReload(), this.logger, this.options.rescanMs ?? DEFAULT_RESCAN_MS);
    void this.syncWatcher();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    clearTimeout(this.wake);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private scheduleReload(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.load().catch((error: unknown) => this.logger.error({ err: String(error) }, 'policy reload failed'));
    }, this.options.debounceMs ?? 100);
    this.debounce.unref();
  }

  /** A directory newly watched may have changed between the walk and the watch: walk again. */
  private async syncWatcher(): Promise<void> {
    if (this.watcher && (await this.watcher.sync(this.lastDirs))) this.scheduleReload();
  }

  private async loadOnce(): Promise<LocalLoadReport> {
    const { dir } = this.options;
    const now = this.now();
    const problems: LoadProblem[] = [];
    const stale = new Map<string, string>();
    let listing: { files: string[]; dirs: string[] };
    try {
      listing = await listPolicyFiles(dir);
    } catch (error) {
      // Gone (deleted to be re-created, unmounted) or unreadable: nothing here says the policies
      // were deleted, so all of them stay in force, stale, until the directory is back.
      const message = `cannot read policy directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; keeping the current policies`;
      if (this.directoryProblem !== message) this.logger.error({ dir }, message);
      this.directoryProblem = message;
      problems.push({ origin: dir, message });
      for (const path of this.files.keys()) stale.set(path, message);
      this.lastDirs = [];
      const report = await this.apply(problems, stale, 0);
      await this.syncWatcher();
      return report;
    }
    if (this.directoryProblem !== undefined) this.logger.info({ dir }, 'policy directory readable again');
    this.directoryProblem = undefined;

    let wakeAt = Infinity;
    const listed = new Set(listing.files);
    const next = new Map<string, FileState>();
    const record = (path: string, step: FileStep): void => {
      if (step.state) next.set(path, step.state);
      if (step.staleBecause !== undefined && step.state) stale.set(path, step.staleBecause);
      if (step.wakeAt !== undefined) wakeAt = Math.min(wakeAt, step.wakeAt);
    };
    for (const path of listing.files) {
      const revision = await readRevision(path);
      record(path, revision.kind === 'missing' ? this.missing(path, now) : this.advance(path, revision, now, problems));
    }
    for (const path of this.files.keys()) if (!listed.has(path)) record(path, this.missing(path, now));
    this.files = next;
    this.lastDirs = listing.dirs;
    this.scheduleWake(wakeAt, now);
    const report = await this.apply(problems, stale, listing.files.length);
    await this.syncWatcher();
    return report;
  }

  /** A file that is not there (any more): it stays in force until it has been gone a while. */
  private missing(path: string, now: number): FileStep {
    const state = this.files.get(path);
    if (!state) return {};
    const since = state.missingSince ?? now;
    if (now - since >= this.settleMs) {
      this.logger.info({ file: path }, 'policy file removed; what it defined is deleted');
      return {};
    }
    return { state: { effective: state.effective, missingSince: since }, wakeAt: since + this.settleMs };
  }

  private get settleMs(): number {
    return this.options.settleMs ?? DEFAULT_SETTLE_MS;
  }

  /** The next state of a file that is there, given its newest revision. */
  private advance(path: string, revision: Exclude<FileRevision, { kind: 'missing' }>, now: number, problems: LoadProblem[]): FileStep {
    const state = this.files.get(path);
    const keep = (reason: string): FileStep => {
      problems.push({ origin: path, message: state ? `${reason}; keeping its last content` : reason });
      return state ? { state: { effective: state.effective }, staleBecause: reason } : {};
    };
    if (revision.kind !== 'parsed') return keep(revision.reason);
    const definesSomething = state !== undefined && definedKeys(state.effective.docs).size > 0;
    if (definesSomething && revision.docs.length === 0) {
      return keep(`${path}: the file is empty (delete it to remove what it defines)`);
    }
    if (definesSomething && revision.incomplete !== undefined) return keep(`${path}: ${revision.incomplete} (written in part?)`);
    const content = { text: revision.text, docs: revision.docs };
    if (!state || revision.text === state.effective.text) return { state: state ? { effective: state.effective } : { effective: content } };
    const kept = definedKeys(revision.docs);
    const removes = [...definedKeys(state.effective.docs)].some((key) => !kept.has(key));
    if (!removes) return { state: { effective: content } };
    const since = state.pending?.text === revision.text ? state.pending.since : now;
    if (now - since >= this.settleMs) return { state: { effective: content } };
    this.logger.debug({ file: path }, 'policy file no longer defines some policies or Namespaces; removing them once it stays so');
    return { state: { effective: state.effective, pending: { text: revision.text, since } }, wakeAt: since + this.settleMs };
  }

  private scheduleWake(at: number, now: number): void {
    clearTimeout(this.wake);
    if (at === Infinity || this.closed) return;
    this.wake = setTimeout(() => this.scheduleReload(), Math.max(0, at - now) + 1);
    this.wake.unref();
  }

  /** Swaps in what the files now hold in force, unless it is what is already in force. */
  private async apply(problems: LoadProblem[], stale: ReadonlyMap<string, string>, fileCount: number): Promise<LocalLoadReport> {
    const { dir, policySet } = this.options;
    const paths = [...this.files.keys()].sort();
    const signature = JSON.stringify([
      paths.map((path) => [path, this.files.get(path)!.effective.text, stale.get(path) ?? '']),
      problems.map((p) => p.message),
    ]);
    if (signature === this.lastSignature && this.lastReport) return { ...this.lastReport, files: fileCount, snapshot: policySet.snapshot() };

    const policyDocs: PolicyDocument[] = [];
    const namespaceDocs: unknown[] = [];
    const rbacDocs: unknown[] = [];
    for (const path of paths) {
      const because = stale.get(path);
      for (const doc of this.files.get(path)!.effective.docs) {
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) continue;
        const record = doc as Record<string, unknown>;
        if (isPolicyDocument(record)) {
          policyDocs.push({ doc, origin: relative(dir, path) || path, ...(because !== undefined ? { staleBecause: [because] } : {}) });
        } else if (isNamespaceDocument(record)) {
          namespaceDocs.push(doc);
        } else if (isRbacDocument(record)) {
          rbacDocs.push(doc);
        }
      }
    }
    const namespaces = new StaticNamespaceLookup(namespaceDocs);
    const rbac = rbacDocs.length > 0 ? new RbacIndex(rbacDocs) : undefined;
    for (const problem of rbac?.problems ?? []) problems.push({ message: `RBAC manifest: ${problem.message}` });
    const loaded = await policySet.replace(policyDocs, { namespaces, ...(rbac ? { rbac } : {}) });
    const report: LocalLoadReport = {
      snapshot: loaded.snapshot,
      files: fileCount,
      namespaces: namespaces.size,
      problems: [...problems, ...loaded.problems],
    };
    for (const problem of report.problems) this.logger.warn({ origin: problem.origin, policy: problem.policy }, problem.message);
    this.lastSignature = signature;
    this.lastReport = report;
    this.options.onReload?.(report);
    return report;
  }
}
