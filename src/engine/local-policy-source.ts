/**
 * Local mode: policies and Namespaces from a directory of YAML files, watched and hot-reloaded.
 *
 * - Every `*.yaml` / `*.yml` below the directory, recursively; hidden directories,
 *   `node_modules` and `testdata` directories and `kclguard-test.yaml` files (test fixtures,
 *   which may hold Namespaces meant only for a test) are skipped.
 * - Documents of kind KCLRun / ClusterKCLRun (krm.kcl.dev) become policies; core/v1 Namespace
 *   documents feed the Namespace lookup; every other kind is ignored.
 * - A reload rebuilds the whole set. A file that cannot be read or parsed keeps its last good
 *   content (so a half-saved file does not remove its policies) and is reported with its path.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import yaml from 'js-yaml';
import type { EngineLogger } from './logger.js';
import { silentLogger } from './logger.js';
import { KCLRUN_GROUP } from './model.js';
import { StaticNamespaceLookup, type NamespaceInfo, type NamespaceLookup } from './namespaces.js';
import type { LoadProblem, PolicyDocument, PolicySet, PolicySnapshot } from './policy-set.js';

const SKIPPED_DIRS = new Set(['node_modules', 'testdata']);
const SKIPPED_FILES = new Set(['kclguard-test.yaml', 'kclguard-test.yml']);

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
  /** Called after every reload (initial load included). */
  readonly onReload?: (report: LocalLoadReport) => void;
}

function isPolicyDocument(doc: Record<string, unknown>): boolean {
  return (
    (doc.kind === 'KCLRun' || doc.kind === 'ClusterKCLRun') &&
    typeof doc.apiVersion === 'string' &&
    doc.apiVersion.startsWith(`${KCLRUN_GROUP}/`)
  );
}

function isNamespaceDocument(doc: Record<string, unknown>): boolean {
  return doc.kind === 'Namespace' && doc.apiVersion === 'v1';
}

export class LocalPolicySource implements NamespaceLookup {
  private namespaces = new StaticNamespaceLookup();
  /** Last successfully parsed documents per file. */
  private lastGood = new Map<string, unknown[]>();
  private watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<LocalLoadReport> | undefined;
  private reloadAgain = false;
  private closed = false;

  constructor(private readonly options: LocalPolicySourceOptions) {}

  get(name: string): NamespaceInfo | undefined {
    return this.namespaces.get(name);
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
    this.syncWatchers([this.options.dir, ...this.lastDirs]);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private lastDirs: string[] = [];

  private scheduleReload(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.load().catch((error: unknown) => {
        (this.options.logger ?? silentLogger).error({ err: String(error) }, 'policy reload failed');
      });
    }, this.options.debounceMs ?? 100);
  }

  /** One watcher per directory: portable, and new subdirectories are picked up on reload. */
  private syncWatchers(dirs: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set(dirs);
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, () => this.scheduleReload());
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
          this.scheduleReload();
        });
        this.watchers.set(dir, w);
      } catch {
        // The directory vanished between the walk and the watch; the next reload sees that.
      }
    }
  }

  private async walk(dir: string, files: string[], dirs: string[]): Promise<void> {
    dirs.push(dir);
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await this.walk(path, files, dirs);
      } else if (/\.ya?ml$/.test(entry.name) && !SKIPPED_FILES.has(entry.name)) {
        files.push(path);
      }
    }
  }

  private async readDocuments(path: string, problems: LoadProblem[]): Promise<unknown[]> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return []; // deleted between the walk and the read
      problems.push({ origin: path, message: `cannot read ${path}: ${code ?? String(error)}${this.lastGood.has(path) ? '; keeping its last good content' : ''}` });
      return this.lastGood.get(path) ?? [];
    }
    try {
      const docs = yaml.loadAll(text, undefined, { filename: path, schema: yaml.CORE_SCHEMA }).filter((d) => d !== null && d !== undefined);
      this.lastGood.set(path, docs);
      return docs;
    } catch (error) {
      const e = error as { reason?: string; mark?: { line: number; column: number } };
      const where = e.mark ? `${path}:${e.mark.line + 1}:${e.mark.column + 1}` : path;
      const kept = this.lastGood.has(path) ? '; keeping its last good content' : '';
      problems.push({ origin: path, message: `${where}: invalid YAML: ${e.reason ?? String(error)}${kept}` });
      return this.lastGood.get(path) ?? [];
    }
  }

  private async loadOnce(): Promise<LocalLoadReport> {
    const { dir, policySet } = this.options;
    const logger = this.options.logger ?? silentLogger;
    const problems: LoadProblem[] = [];
    const files: string[] = [];
    const dirs: string[] = [];
    try {
      await this.walk(dir, files, dirs);
    } catch (error) {
      const message = `cannot read policy directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; keeping the current policies`;
      logger.error({ dir }, message);
      const report = { snapshot: policySet.snapshot(), files: 0, namespaces: 0, problems: [{ origin: dir, message }] };
      this.options.onReload?.(report);
      return report;
    }
    const policyDocs: PolicyDocument[] = [];
    const namespaceDocs: unknown[] = [];
    const seen = new Set<string>();
    for (const path of files) {
      seen.add(path);
      const docs = await this.readDocuments(path, problems);
      for (const doc of docs) {
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) continue;
        const record = doc as Record<string, unknown>;
        if (isPolicyDocument(record)) policyDocs.push({ doc, origin: relative(dir, path) || path });
        else if (isNamespaceDocument(record)) namespaceDocs.push(doc);
      }
    }
    for (const path of this.lastGood.keys()) if (!seen.has(path)) this.lastGood.delete(path);

    // Namespaces first: a request that sees the new policies must also see their Namespaces.
    this.namespaces = new StaticNamespaceLookup(namespaceDocs);
    const loaded = await policySet.replace(policyDocs);
    const report: LocalLoadReport = {
      snapshot: loaded.snapshot,
      files: files.length,
      namespaces: this.namespaces.size,
      problems: [...problems, ...loaded.problems],
    };
    for (const problem of report.problems) logger.warn({ origin: problem.origin, policy: problem.policy }, problem.message);
    this.lastDirs = dirs;
    if (this.watchers.size > 0) this.syncWatchers(dirs);
    this.options.onReload?.(report);
    return report;
  }
}
