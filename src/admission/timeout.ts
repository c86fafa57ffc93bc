/**
 * The API server tells a webhook how long it will wait with the `?timeout=` query parameter, a Go
 * duration such as `10s` or `1m0s` (the webhook's timeoutSeconds). Evaluation must end a little
 * before that so the answer still arrives in time.
 */
import { AdmissionInputError } from './errors.js';

/** The API server's default when a webhook configuration sets no timeoutSeconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** timeoutSeconds may be at most 30; a larger query value is clamped to it. */
export const MAX_TIMEOUT_MS = 30_000;
/**
 * Kept back for serializing the answer and the network: a tenth of the timeout, at most 500 ms
 * (a 10 s webhook evaluates for 9.5 s, a 1 s webhook for 900 ms).
 */
export const MAX_SAFETY_MARGIN_MS = 500;

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a Go duration (`10s`, `1m0s`, `1.5s`, `250ms`); undefined if it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text.length === 0 || text.length > 64) return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let position = 0;
  while (position < text.length) {
    DURATION_PART.lastIndex = position;
    const match = DURATION_PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? Number.NaN);
    position = DURATION_PART.lastIndex;
  }
  return Number.isFinite(total) ? total : undefined;
}

/**
 * The absolute deadline (ms since epoch) for a review that arrived at `now` with the given
 * `?timeout=` value (absent: the API server's default). A malformed value is refused rather than
 * guessed, since a wrong guess would make the API server time out and apply its failurePolicy.
 */
export function deadlineFromTimeout(timeoutParam: string | undefined, now: number): number {
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (timeoutParam !== undefined) {
    const parsed = parseGoDuration(timeoutParam);
    if (parsed === undefined || parsed <= 0) {
      throw new AdmissionInputError(
        'A4008',
        `query parameter timeout=${JSON.stringify(timeoutParam.slice(0, 64))} is not a positive duration like 10s`,
      );
    }
    timeoutMs = Math.min(parsed, MAX_TIMEOUT_MS);
  }
  const margin = Math.min(MAX_SAFETY_MARGIN_MS, timeoutMs * 0.1);
  return now + timeoutMs - margin;
}
