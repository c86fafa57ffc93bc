/**
 * Narrowed mode: the elected replica keeps kclguard's webhook configurations equal to what the
 * loaded policies select (webhook-plan.ts), and tells the status writer which policies the
 * registered configurations cover.
 *
 * - Only while leading (`start` / `stop` follow the Lease): one writer, no two replicas fighting.
 * - Rate-limited: at most one update every `minIntervalMs`; policy changes arriving meanwhile
 *   are folded into the next one. Every `resyncMs` the configurations are applied again, which
 *   repairs hand edits and picks up kinds that discovery learned since.
 * - Last good kept: when discovery fails, or the API server refuses the update, nothing is
 *   written; the registered configurations stay as they were, and the policies they do not cover
 *   stay not Ready until a later attempt succeeds.
 */
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { CompiledPolicy, EngineLogger, PolicySnapshot } from '../engine/index.js';
import { silentLogger } from '../engine/index.js';
import { statusCode } from './api-errors.js';
import type { ResourceDiscovery } from './discovery.js';
import type { WebhookConfigurations } from './webhook-apply.js';
import { coverageFingerprint, planWebhooks, POLICY_WRITES_KEY, WEBHOOK_SLOTS, type WebhookSlot } from './webhook-plan.js';
import { EXCLUDED_RESOURCES, MATCH_CONDITIONS, narrowedConfigurations, type WebhookTarget } from './webhook-registration.js';

/** applied: the configurations changed; unchanged: nothing to change; failed: the API server refused; stale: not computable (discovery down). */
export type WebhookUpdateResult = 'applied' | 'unchanged' | 'failed' | 'stale';

export interface WebhookUpdateObserver {
  /** Once per update attempt; `served` counts the policies per registered webhook (after a success). */
  onWebhookUpdate(result: WebhookUpdateResult, served?: Readonly<Record<WebhookSlot, number>>): void;
}

/** Whether the registered configurations send a policy what it selects; Ready follows it. */
export interface WebhookCoverage {
  readonly covered: boolean;
  readonly message: string;
}

export interface WebhookControllerOptions {
  readonly name: string;
  readonly target: WebhookTarget;
  readonly snapshot: () => PolicySnapshot;
  readonly discovery: ResourceDiscovery;
  readonly apply: (desired: WebhookConfigurations) => Promise<void>;
  /** The ownerReference the configurations carry (read once per update; undefined: none). */
  readonly owner?: () => Promise<V1OwnerReference | undefined>;
  readonly minIntervalMs?: number;
  readonly resyncMs?: number;
  readonly logger?: EngineLogger;
  readonly observer?: WebhookUpdateObserver;
  /** After each successful update (the status writer re-checks Ready). */
  readonly onApplied?: () => void;
  readonly now?: () => number;
}

export const DEFAULT_WEBHOOK_UPDATE_INTERVAL_MS = 5_000;
export const DEFAULT_WEBHOOK_RESYNC_MS = 60_000;

const describeError = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0]! : String(error));

export class WebhookController {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Something changed since the last attempt began; `force`: apply even if it looks the same. */
  private pending = false;
  private force = false;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private lastApplied: string | undefined;
  private covered: ReadonlyMap<string, string> = new Map();
  private problem: string | undefined;
  /** Configurations the API server refused as invalid: not sent again (the rules alone go instead). */
  private refused: string | undefined;
  private readonly logger: EngineLogger;

  constructor(private readonly options: WebhookControllerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** This replica was elected: bring the configurations up to date now, then keep them so. */
  start(): void {
    if (this.leading) return;
    this.leading = true;
    this.request(true);
    this.resync = setInterval(() => this.request(true), this.options.resyncMs ?? DEFAULT_WEBHOOK_RESYNC_MS);
    this.resync.unref();
  }

  /** Another replica leads now (or this one stops): no more writes from here. */
  stop(): void {
    this.leading = false;
    clearTimeout(this.timer);
    clearInterval(this.resync);
    this.timer = undefined;
    this.resync = undefined;
  }

  /** The policy set changed. */
  policiesChanged(): void {
    this.request(false);
  }

  /** Resolves once no update is running or scheduled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  coverage(policy: CompiledPolicy): WebhookCoverage | undefined {
    const definition = policy.definition;
    if (!definition) return undefined;
    if (this.covered.get(definition.identity.key) === coverageFingerprint(definition)) {
      return { covered: true, message: 'the webhook configurations send this policy what it selects' };
    }
    return {
      covered: false,
      message: this.problem
        ? `the webhook configurations do not cover this policy yet: ${this.problem}; the last good configurations stay registered`
        : 'the webhook configurations do not cover this policy yet: the elected replica updates them within seconds',
    };
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  private request(force: boolean): void {
    if (!this.leading) return;
    this.pending = true;
    this.force ||= force;
    if (this.timer || this.running) return; // the pass scheduled or running picks it up
    const wait = Math.max(0, this.lastAttempt + (this.options.minIntervalMs ?? DEFAULT_WEBHOOK_UPDATE_INTERVAL_MS) - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        if (this.pending) this.request(false);
      });
    }, wait);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    if (!this.leading) return;
    const force = this.force;
    this.pending = false;
    this.force = false;
    this.lastAttempt = this.now();
    const snapshot = this.options.snapshot();
    let discovery;
    let owner;
    try {
      discovery = await this.options.discovery.resources();
    } catch (error) {
      this.fail('stale', `discovery failed: ${describeError(error)}`);
      return;
    }
    try {
      owner = await this.options.owner?.();
    } catch (error) {
      this.fail('failed', `the owner could not be read: ${describeError(error)}`);
      return;
    }
    const build = (maxSelectionChars?: number) => {
      const plan = planWebhooks(snapshot.policies, discovery, { fixedConditions: MATCH_CONDITIONS, excludedResources: EXCLUDED_RESOURCES, ...(maxSelectionChars !== undefined ? { maxSelectionChars } : {}) });
      const desired = narrowedConfigurations(this.options.name, this.options.target, plan.webhooks, owner);
      return { plan, desired, text: JSON.stringify(desired) };
    };
    let { plan, desired, text } = build();
    if (text === this.refused) ({ plan, desired, text } = build(0));
    let changed = text !== this.lastApplied;
    if (changed || force) {
      try {
        await this.options.apply(desired);
      } catch (error) {
        if (statusCode(error) !== 422) {
          this.fail('failed', `the API server refused the update: ${describeError(error)}`);
          return;
        }
        // Invalid: the selection conditions (their CEL cost, most likely). The rules alone are
        // broader but always valid, so the policies are covered rather than left pending.
        this.logger.warn({ configuration: this.options.name, err: describeError(error) }, 'the API server refused the selection conditions; registering the rules alone');
        this.refused = text;
        ({ plan, desired, text } = build(0));
        changed = text !== this.lastApplied;
        try {
          await this.options.apply(desired);
        } catch (again) {
          this.fail('failed', `the API server refused the update: ${describeError(again)}`);
          return;
        }
      }
    }
    this.lastApplied = text;
    this.covered = plan.covered;
    this.problem = undefined;
    const policiesOf = (slot: WebhookSlot) => plan.webhooks.find((w) => w.slot === slot)?.policies.filter((p) => p.key !== POLICY_WRITES_KEY).length ?? 0;
    const served = Object.fromEntries(WEBHOOK_SLOTS.map((slot) => [slot, policiesOf(slot)])) as Record<WebhookSlot, number>;
    this.options.observer?.onWebhookUpdate(changed ? 'applied' : 'unchanged', served);
    if (changed) {
      this.logger.info(
        {
          configuration: this.options.name,
          generation: snapshot.generation,
          webhooks: plan.webhooks.map((w) => ({
            name: w.name,
            failurePolicy: w.failurePolicy,
            rules: w.rules.length,
            matchConditions: w.matchConditions.length,
            policies: w.policies.map((p) => p.key),
            ...(w.notes.length > 0 ? { notes: w.notes } : {}),
          })),
        },
        'webhook configurations updated',
      );
    }
    this.options.onApplied?.();
  }

  private fail(result: WebhookUpdateResult, problem: string): void {
    this.problem = problem;
    this.pending = true; // try again after the interval
    this.options.observer?.onWebhookUpdate(result);
    this.logger.warn({ configuration: this.options.name, result, problem }, 'webhook configurations not updated; the last good ones stay');
  }
}
