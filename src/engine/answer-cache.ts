/**
 * A cache of yes/no answers from a remote authority (the API server's SubjectAccessReviews) that
 * keeps working through the authority's outages.
 *
 * - An answer is reused for its TTL: allowed and denied answers have their own (the authorization
 *   webhook's authorizedTTL / unauthorizedTTL).
 * - After its TTL an answer is asked again. When that fails, or does not come within
 *   `staleAfterMs`, the last known answer is used for up to `graceMs` past its TTL.
 * - While the authority is failing (an outage: the last call failed and none succeeded since),
 *   a last known answer within its grace period is used at once and refreshed in the background,
 *   so that an outage does not make every check wait for a timeout.
 * - A key with no usable answer waits for the call; when it fails, the check fails. During an
 *   outage it fails at once (the call still goes out, and its answer is stored): waiting for a
 *   timeout per check would use up the review's deadline for nothing.
 * - Concurrent checks of one key share one call; only the call registered for a key may store
 *   its answer (a timed-out call may answer late, after a newer one started).
 * - An answer built from last known answers (another cache's, standing in) is passed on but
 *   never stored: it must not come back as fresh for a whole TTL.
 */
import { createHash } from 'node:crypto';

/** An answer, and whether it is fresh (asked just now or within its TTL) or a last known one. */
export interface Answer {
  readonly allowed: boolean;
  readonly fresh: boolean;
}

/** Where an answer came from, for metrics. */
export type AnswerSource = 'cached' | 'asked' | 'stale' | 'failed';

export interface AnswerCacheOptions {
  readonly allowedTtlMs: number;
  readonly deniedTtlMs: number;
  /** How long past its TTL a last known answer may stand in while asking fails. */
  readonly graceMs: number;
  /** How long to wait for a fresh answer before using a last known one. */
  readonly staleAfterMs: number;
  /** Entries kept; the oldest is evicted first. */
  readonly maxEntries: number;
  readonly now: () => number;
  readonly onAnswer?: (source: AnswerSource) => void;
  /**
   * During an outage, fail a key with no usable answer at once (default). False for a cache whose
   * `ask` is itself made of such lookups and so already answers quickly.
   */
  readonly failFastInOutage?: boolean;
}

interface Entry {
  readonly allowed: boolean;
  readonly expires: number;
}

/** The authority is failing and nothing is known about this question. */
export class AuthorityUnavailableError extends Error {
  constructor() {
    super('the API server does not answer ServiceAccount checks at the moment, and no earlier answer is known');
    this.name = 'AuthorityUnavailableError';
  }
}

/**
 * The authority answered, and refused this one question (an HTTP 4xx other than 408 and 429: a
 * request too large, a name it cannot take). It is not unavailable: a refused question fails
 * on its own, and never puts the caches in front of the authority into their outage mode, where
 * every question without a known answer fails at once. A tenant's lookup with a 3 MB name, or a
 * forged review's 3 MB user name, would otherwise have done so for every policy.
 */
export class QuestionRefusedError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'QuestionRefusedError';
  }
}

/** Whether the authority is failing; shared by the caches in front of one authority. */
export class OutageState {
  private failingSince: number | undefined;

  constructor(private readonly onChange?: (failing: boolean, since: number) => void) {}

  get failing(): boolean {
    return this.failingSince !== undefined;
  }

  failed(now: number): void {
    if (this.failingSince !== undefined) return;
    this.failingSince = now;
    this.onChange?.(true, now);
  }

  succeeded(): void {
    if (this.failingSince === undefined) return;
    const since = this.failingSince;
    this.failingSince = undefined;
    this.onChange?.(false, since);
  }
}

const ignore = (): void => undefined;

/**
 * Keys are built from the review (user, groups, extra, object name), which a client that is not
 * the API server can make megabytes long; a longer key is kept as its SHA-256 digest, so that the
 * cache's memory is bounded by its entry count whatever the keys.
 */
export const MAX_PLAIN_KEY_CHARS = 512;

function storedKey(key: string): string {
  return key.length <= MAX_PLAIN_KEY_CHARS ? key : `sha256:${createHash('sha256').update(key).digest('base64')}`;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Answer>>();

  constructor(
    private readonly options: AnswerCacheOptions,
    private readonly outage: OutageState,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /** The answer for `key`, asking with `ask` when no fresh one is known. Rejects only when no answer is usable. */
  get(question: string, ask: () => Promise<Answer>): Promise<Answer> {
    const key = storedKey(question);
    const { now, graceMs, onAnswer } = this.options;
    const at = now();
    const entry = this.entries.get(key);
    if (entry && at < entry.expires) {
      onAnswer?.('cached');
      return Promise.resolve({ allowed: entry.allowed, fresh: true });
    }
    const known = entry && at < entry.expires + graceMs ? entry.allowed : undefined;
    if (known !== undefined && this.outage.failing) {
      void this.call(key, ask).catch(ignore);
      onAnswer?.('stale');
      return Promise.resolve({ allowed: known, fresh: false });
    }
    const call = this.call(key, ask);
    if (known === undefined && this.outage.failing && this.options.failFastInOutage !== false) {
      void call.catch(ignore);
      onAnswer?.('failed');
      return Promise.reject(new AuthorityUnavailableError());
    }
    if (known === undefined) {
      return call.then(
        (answer) => {
          onAnswer?.(answer.fresh ? 'asked' : 'stale');
          return answer;
        },
        (error: unknown) => {
          onAnswer?.('failed');
          throw error;
        },
      );
    }
    return this.freshOr(call, known);
  }

  /** The call's answer if a fresh one comes within staleAfterMs, else `known`. */
  private freshOr(call: Promise<Answer>, known: boolean): Promise<Answer> {
    const { staleAfterMs, onAnswer } = this.options;
    return new Promise<Answer>((resolve) => {
      let settled = false;
      const settle = (answer: Answer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        onAnswer?.(answer.fresh ? 'asked' : 'stale');
        resolve(answer);
      };
      const stale: Answer = { allowed: known, fresh: false };
      const timer = setTimeout(() => settle(stale), staleAfterMs);
      timer.unref?.();
      call.then(
        (answer) => settle(answer.fresh ? answer : stale),
        () => settle(stale),
      );
    });
  }

  /** One call per key at a time; a fresh answer is stored when it comes. */
  private call(key: string, ask: () => Promise<Answer>): Promise<Answer> {
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    let started: Promise<Answer>;
    try {
      started = ask();
    } catch (error) {
      started = Promise.reject(error);
    }
    const current = (): boolean => this.inFlight.get(key) === call;
    const call: Promise<Answer> = started.then(
      (answer) => {
        const { now, allowedTtlMs, deniedTtlMs, maxEntries } = this.options;
        if (current()) {
          this.inFlight.delete(key);
          if (answer.fresh) {
            this.entries.delete(key);
            if (this.entries.size >= maxEntries) this.entries.delete(this.entries.keys().next().value as string);
            this.entries.set(key, { allowed: answer.allowed, expires: now() + (answer.allowed ? allowedTtlMs : deniedTtlMs) });
          }
        }
        if (answer.fresh) this.outage.succeeded();
        return answer;
      },
      (error: unknown) => {
        if (current()) this.inFlight.delete(key);
        if (!(error instanceof QuestionRefusedError)) this.outage.failed(this.options.now());
        throw error;
      },
    );
    this.inFlight.set(key, call);
    return call;
  }
}
