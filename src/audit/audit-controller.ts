/**
 * Background audit (docs/operations.md, "Background audit"): the elected replica evaluates the
 * `mode: Validate` policies against the existing objects of the kinds they name — read from the
 * informer caches, through the same engine as admission (selection, consent, RBAC), run in the
 * worker pool's background lane — and keeps one PolicyReport per namespace (and a
 * ClusterPolicyReport) up to date.
 *
 * When: on becoming the leader, after a policy change or a change to an audited object (each after
 * a quiet period, `debounceMs`), and every `intervalMs`. One run at a time; a run checks at most
 * `maxObjects` objects, continuing where the previous one stopped, so a large cluster is covered
 * over several runs while each run stays bounded.
 */
import type { AdmissionHandler, Authorizer, EngineLogger, LookupKind, PolicySnapshot, ServedKind, Unavailable } from '../engine/index.js';
import { resourceName, silentLogger } from '../engine/index.js';
import { auditedKinds, auditedPolicies, type KindNames } from './audit-kinds.js';
import { apiVersionOf, targetKey, type AuditTarget } from './audit-request.js';
import { policyInfos, REPORT_RESULTS, type ReportResult } from './audit-results.js';
import { auditPass } from './audit-run.js';
import { buildReports, DEFAULT_REPORT_LIMITS, type AuditedObject, type PolicyReportObject, type ReportLimits } from './policy-reports.js';
import type { WriteOutcome } from './report-writer.js';
import { readCheck } from './read-check.js';

type JsonObject = Record<string, unknown>;

/** What the audit needs of the object caches (src/cluster/object-caches.ts). */
export interface AuditCaches {
  demand(owner: string, kinds: readonly LookupKind[]): Promise<void>;
  list(served: ServedKind, namespace: string): readonly JsonObject[] | Unavailable;
  isListed(served: ServedKind): boolean;
  onChange(listener: (served: ServedKind) => void): () => void;
}

export type AuditRunOutcome = 'completed' | 'truncated' | 'failed';

/** Audit metrics (src/observability implements it). */
export interface AuditObserver {
  onAuditRun?(seconds: number, objectsChecked: number, outcome: AuditRunOutcome): void;
  /** The results in the reports now, by outcome (every outcome present, 0 if none). */
  onAuditResults?(counts: Readonly<Record<ReportResult, number>>): void;
}

export interface AuditControllerOptions {
  readonly policies: () => PolicySnapshot;
  /** The engine's handler for audit requests (without the admission metrics). */
  readonly handler: AdmissionHandler;
  readonly caches: AuditCaches;
  readonly kinds: KindNames;
  readonly writer: { write(reports: readonly PolicyReportObject[], complete: boolean): Promise<WriteOutcome> };
  readonly observer?: AuditObserver;
  readonly logger?: EngineLogger;
  readonly intervalMs: number;
  readonly debounceMs: number;
  readonly maxObjects: number;
  /** Objects evaluated at once. Default 2. */
  readonly concurrency?: number;
  /** Asks whether an audited policy's ServiceAccount may list what it audits (read-check.ts). */
  readonly authorizer: Authorizer;
  readonly reportLimits?: ReportLimits;
  /** ms since epoch. */
  readonly now?: () => number;
}

export interface AuditRunSummary {
  readonly outcome: AuditRunOutcome;
  readonly checked: number;
  /** Objects of the audited kinds in the caches (checked or not). */
  readonly objects: number;
  readonly reports: number;
}

const CACHE_OWNER = 'audit';
/** Backoff of the retries of unwritten reports: from 5 s, doubling, at most 5 minutes. */
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 300_000;

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}\u0000${kind}`;
}

export class AuditController {
  private readonly logger: EngineLogger;
  private readonly now: () => number;
  private leading = false;
  /** Results of every audited object, by targetKey. */
  private readonly state = new Map<string, AuditedObject>();
  private cursor = 0;
  private kinds: ServedKind[] = [];
  private timer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<AuditRunSummary> | undefined;
  private rerun = false;
  /** The reports of the last run while some could not be written, retried with backoff. */
  private unwritten: { readonly reports: readonly PolicyReportObject[]; readonly complete: boolean } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** A retried write in progress; a run's own write waits for it, so two writes never overlap. */
  private retrying: Promise<boolean> | undefined;
  /** The last retry delay; 0 once everything is written. */
  private retryDelayMs = 0;

  constructor(private readonly options: AuditControllerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  /** Starts (this replica was elected) or stops (it no longer is) auditing. */
  setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) {
      this.unsubscribe = this.options.caches.onChange((served) => {
        if (this.kinds.some((k) => k.group === served.group && k.version === served.version && k.resource === served.resource)) this.schedule(this.options.debounceMs);
      });
      this.interval = setInterval(() => this.schedule(0), this.options.intervalMs);
      this.interval.unref();
      void this.refresh();
    } else {
      this.halt();
      void this.options.caches.demand(CACHE_OWNER, []);
      this.state.clear();
      this.cursor = 0;
    }
  }

  /** The policy set changed: audit the kinds it names now, after the quiet period. */
  policiesChanged(): void {
    if (this.leading) void this.refresh();
  }

  async stop(): Promise<void> {
    this.leading = false;
    this.halt();
    await this.running?.catch(() => undefined);
  }

  /** Runs an audit now (or joins the one running, then runs again). */
  run(): Promise<AuditRunSummary> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      if (this.rerun && this.leading) {
        this.rerun = false;
        this.schedule(0);
      }
    });
    return this.running;
  }

  private halt(): void {
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.unwritten = undefined;
    clearInterval(this.interval);
    this.unsubscribe?.();
    this.timer = this.interval = this.unsubscribe = undefined;
  }

  private schedule(delayMs: number): void {
    if (!this.leading) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run().catch(() => undefined), delayMs);
    this.timer.unref();
  }

  /**
   * Writes the reports of a run; what could not be written (the API server answered 429 while a
   * new CRD's storage initializes, a timeout, a namespace being deleted, no CRDs) is written
   * again with backoff — the same reports, without auditing again — rather than an interval
   * later. A new run replaces what is still unwritten. False when the writer could not even list.
   */
  private async writeReports(reports: readonly PolicyReportObject[], complete: boolean): Promise<boolean> {
    clearTimeout(this.retryTimer);
    this.unwritten = undefined;
    let listed = true;
    let unwritten = true;
    try {
      unwritten = (await this.options.writer.write(reports, complete)).failed > 0;
    } catch (error) {
      listed = false;
      this.logger.warn({ err: error instanceof Error ? error.message.split('\n')[0] : String(error) }, 'audit: writing policy reports failed; retried with backoff');
    }
    if (!unwritten) {
      this.retryDelayMs = 0;
      return true;
    }
    this.unwritten = { reports, complete };
    this.retryDelayMs = Math.min(Math.max(this.retryDelayMs * 2, RETRY_MIN_MS), Math.min(this.options.intervalMs, RETRY_MAX_MS));
    if (this.leading) {
      this.retryTimer = setTimeout(() => {
        const pending = this.unwritten;
        if (!pending || !this.leading || this.running) return;
        this.retrying = this.writeReports(pending.reports, pending.complete).finally(() => (this.retrying = undefined));
      }, this.retryDelayMs);
      this.retryTimer.unref();
    }
    return listed;
  }

  /** Starts the caches of the kinds the policies name now; then a run, after the quiet period. */
  private async refresh(): Promise<void> {
    await this.demandKinds(auditedPolicies(this.options.policies()));
    this.schedule(this.options.debounceMs);
  }

  /** Which kinds the audited policies name (discovery is cached), demanded from the caches. */
  private async demandKinds(audited: ReadonlyMap<string, readonly string[]>): Promise<void> {
    try {
      this.kinds = await auditedKinds(audited, this.options.kinds);
      await this.options.caches.demand(CACHE_OWNER, this.kinds.map((k) => ({ apiVersion: apiVersionOf(k), kind: k.kind })));
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'audit: could not resolve the audited kinds');
    }
  }

  private async runOnce(): Promise<AuditRunSummary> {
    const started = this.now();
    const snapshot = this.options.policies();
    const audited = auditedPolicies(snapshot);
    await this.demandKinds(audited);
    const all: AuditTarget[] = [];
    const listed = new Set<string>();
    let unlisted = 0;
    for (const served of this.kinds) {
      const objects = this.options.caches.isListed(served) ? this.options.caches.list(served, '') : undefined;
      if (!objects || 'unavailable' in objects) {
        unlisted += 1;
        continue;
      }
      listed.add(kindKey(apiVersionOf(served), served.kind));
      for (const object of objects) all.push({ object, served });
    }
    all.sort((a, b) => (targetKey(a) < targetKey(b) ? -1 : targetKey(a) > targetKey(b) ? 1 : 0));
    const truncated = all.length > this.options.maxObjects;
    const targets = truncated ? [...all, ...all].slice(this.cursor % all.length, (this.cursor % all.length) + this.options.maxObjects) : all;
    this.cursor = truncated ? (this.cursor + this.options.maxObjects) % all.length : 0;

    const pass = await auditPass({
      targets,
      handler: this.options.handler,
      infos: policyInfos(snapshot),
      audited,
      previous: this.state,
      now: Math.floor(started / 1000),
      concurrency: this.options.concurrency ?? 2,
      mayRead: readCheck(snapshot, this.options.authorizer, (policy, served, namespace) =>
        this.logger.warn(
          { policy, resource: resourceName(served), namespace },
          "audit: the policy's ServiceAccount may not list these objects, so they are not audited for it (grant it list to audit them)",
        ),
      ),
    });
    this.merge(all, listed, pass.objects, audited);
    const reports = buildReports(this.state.values(), this.options.reportLimits ?? DEFAULT_REPORT_LIMITS);
    let outcome: AuditRunOutcome = truncated || unlisted > 0 ? 'truncated' : 'completed';
    await this.retrying;
    if (!(await this.writeReports(reports, outcome === 'completed'))) outcome = 'failed';
    const seconds = (this.now() - started) / 1000;
    this.options.observer?.onAuditRun?.(seconds, pass.objects.size, outcome);
    this.options.observer?.onAuditResults?.(countResults(this.state.values()));
    this.logger.info({ outcome, checked: pass.objects.size, objects: all.length, unlistedKinds: unlisted, failed: pass.failed, reports: reports.length, seconds }, 'audit run');
    return { outcome, checked: pass.objects.size, objects: all.length, reports: reports.length };
  }

  /**
   * Keeps the results of objects that still exist (objects of a kind whose cache is not listed
   * right now are kept as they were), takes the new ones, and drops the results of policies
   * that are gone or no longer audit that kind.
   */
  private merge(all: readonly AuditTarget[], listed: ReadonlySet<string>, checked: ReadonlyMap<string, AuditedObject>, audited: ReadonlyMap<string, readonly string[]>): void {
    const present = new Set(all.map(targetKey));
    const auditedKindKeys = new Set(this.kinds.map((k) => kindKey(apiVersionOf(k), k.kind)));
    for (const [key, object] of this.state) {
      const kind = kindKey(object.ref.apiVersion, object.ref.kind);
      if (!auditedKindKeys.has(kind) || (listed.has(kind) && !present.has(key))) this.state.delete(key);
    }
    for (const [key, object] of checked) this.state.set(key, object);
    for (const [key, object] of this.state) {
      const results = object.results.filter((r) => audited.get(r.policy)?.includes(object.ref.kind));
      if (results.length === 0) this.state.delete(key);
      else if (results.length !== object.results.length) this.state.set(key, { ...object, results });
    }
  }
}

function countResults(objects: Iterable<AuditedObject>): Record<ReportResult, number> {
  const counts = Object.fromEntries(REPORT_RESULTS.map((r) => [r, 0])) as Record<ReportResult, number>;
  for (const object of objects) for (const r of object.results) counts[r.result] += 1;
  return counts;
}
