/**
 * The HTTP app: routes only, never listens itself (the HTTPS listener or a test does). The
 * admission routes — every API write comes through them — are answered by a plain node handler
 * that does the wire work (content type, body limit, JSON) and hands the parsed body to
 * reviewAdmission; everything about AdmissionReview semantics lives in src/admission. Every
 * other route (health, readiness, metrics, 404) is express's.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { truncateRunes, type AdmissionHandler, type Phase, type Readiness } from '../engine/index.js';
import { AdmissionInputError, errorBody, reviewAdmission, type ReviewResult } from '../admission/index.js';
import { admissionMetrics, type AdmissionMetrics, type Metrics } from '../observability/index.js';
import { InFlightTracker } from './in-flight.js';
import { ClientGoneError, MAX_BODY_BYTES, readJsonBodyText, type BodyLimits } from './json-body.js';
import { LogThrottle } from './log-throttle.js';

export interface AppOptions {
  readonly handler: AdmissionHandler;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Ready once policies are loaded; liveness (/healthz) does not depend on it. */
  readonly readiness: () => Readiness;
  readonly inFlight?: InFlightTracker;
  readonly limits?: BodyLimits;
  /** While draining for shutdown, answers ask the client to close its connection. */
  readonly isDraining?: () => boolean;
  /**
   * Reviews evaluated at once; beyond it the answer is HTTP 429 (without reading the body when
   * the limit is reached as the request arrives), because a large review costs several times its
   * size in heap. A review counts once its whole body is here: a body still arriving holds no
   * slot, so clients that withhold their bodies cannot block the API server's reviews. Bodies
   * being received may together hold at most maxInFlight × the body limit bytes; beyond that
   * the body is refused with 429 as well. The API server counts a 429 as a webhook failure, so
   * its failurePolicy decides. Default: no limit.
   */
  readonly maxInFlight?: number;
}

/** A 429 costs its client nothing, so its log line is written at most once per interval. */
const REFUSAL_LOG_INTERVAL_MS = 1_000;

/** The 404 message quotes at most this much of the path (which may be 16 KiB long). */
const MAX_ECHOED_PATH_RUNES = 256;

interface RefusalFields {
  readonly webhook: Phase;
  readonly busy: Busy;
  readonly inFlight: number;
  readonly receiving: number;
  readonly maxInFlight: number | undefined;
}

const ADMISSION_PATHS: Readonly<Record<string, Phase>> = { '/mutate': 'mutate', '/validate': 'validate' };

export function createApp(options: AppOptions): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const inFlight = options.inFlight ?? new InFlightTracker();
  const reviews = admissionMetrics(options.metrics);
  const refusals = new LogThrottle<RefusalFields>(REFUSAL_LOG_INTERVAL_MS, (fields, suppressed) =>
    options.logger.warn({ ...fields, suppressed }, 'too many admission reviews in flight; refused with 429'),
  );

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  app.get('/readyz', (_req, res) => {
    const readiness = options.readiness();
    if (readiness.ready && !options.isDraining?.()) {
      res.type('text/plain').send('ready\n');
    } else {
      const reason = options.isDraining?.() ? 'shutting down' : (readiness.reason ?? 'not ready');
      res.status(503).type('text/plain').send(`not ready: ${reason}\n`);
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  app.use((req, res) => {
    res.status(404).json({ message: `no route for ${req.method} ${truncateRunes(req.path, MAX_ECHOED_PATH_RUNES)}` });
  });

  // Only a bug in kclguard gets here; the detail goes to the log, not to the caller.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    options.logger.error({ err: error, path: req.path }, 'unhandled error in HTTP route');
    if (!res.headersSent) res.status(500).json({ message: 'internal error' });
  });

  return (req, res) => {
    const query = req.url?.indexOf('?') ?? -1;
    const phase = req.method === 'POST' ? ADMISSION_PATHS[query < 0 ? (req.url ?? '') : req.url!.slice(0, query)] : undefined;
    if (!phase) return void app(req, res);
    admissionRoute(phase, req, res, query < 0 ? undefined : new URLSearchParams(req.url!.slice(query + 1)).get('timeout') ?? undefined, options, inFlight, reviews, refusals).catch((error: unknown) => {
      options.logger.error({ err: error, path: req.url }, 'unhandled error in the admission route');
      if (!res.headersSent) send(res, 500, { message: 'internal error' });
    });
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Why a review is answered 429: every review slot is taken, or bodies being received hold their byte budget. */
type Busy = 'reviews' | 'bodies';

class TooBusyError extends Error {
  constructor(readonly busy: Busy) {
    super(`too busy: ${busy}`);
    this.name = 'TooBusyError';
  }
}

/** The 429 answer, counted and (throttled) logged; built only on refusal, not per review. */
function refuseTooBusy(
  res: ServerResponse,
  busy: Busy,
  phase: Phase,
  maxInFlight: number | undefined,
  inFlight: InFlightTracker,
  reviews: AdmissionMetrics,
  refusals: LogThrottle<RefusalFields>,
): void {
  refusals.hit({ webhook: phase, busy, inFlight: inFlight.size, receiving: inFlight.receiving, maxInFlight });
  reviews.counted(phase, 'unknown', 'rejected');
  const message = busy === 'reviews' ? `kclguard is answering ${maxInFlight} admission reviews already; try again` : 'kclguard is receiving as many review bodies as it holds at once; try again';
  // A body not read (or not read to its end) is discarded; closing keeps its bytes from poisoning the connection.
  send(res, 429, { message }, { connection: 'close', 'retry-after': '1' });
}

async function admissionRoute(
  phase: Phase,
  req: IncomingMessage,
  res: ServerResponse,
  timeout: string | undefined,
  options: AppOptions,
  inFlight: InFlightTracker,
  reviews: AdmissionMetrics,
  refusals: LogThrottle<RefusalFields>,
): Promise<void> {
  const { metrics, logger } = options;
  const maxInFlight = options.maxInFlight;
  // Every slot busy: answered before the body is read, so a burst of large reviews costs no memory.
  if (maxInFlight !== undefined && inFlight.size >= maxInFlight) {
    refuseTooBusy(res, 'reviews', phase, maxInFlight, inFlight, reviews, refusals);
    return;
  }
  // A body being received holds no review slot, only bytes: bodies being received and reviews
  // being evaluated hold together at most as many as maxInFlight full-size bodies (the bound the
  // slots alone gave before); a body arriving still holds them only until its deadline.
  const byteBudget = maxInFlight === undefined ? Infinity : maxInFlight * (options.limits?.maxBytes ?? MAX_BODY_BYTES);
  const receiving = inFlight.startReceiving();
  let finished: (() => void) | undefined;
  metrics.admissionInFlight.inc();
  const started = performance.now();
  try {
    let result: ReviewResult;
    try {
      let read: { body: unknown; text: string } | undefined;
      try {
        read = await readJsonBodyText(req, options.limits, {
          onChunk: (bytes) => {
            if (inFlight.receivingBytes + bytes > byteBudget) throw new TooBusyError('bodies');
            receiving.add(bytes);
          },
        });
      } finally {
        // The whole body is here: now it is a review, and counts against the limit. Counted
        // before the body is marked received, so that shutdown never sees nothing pending in
        // between; its bytes stay counted until the review is answered.
        if (read && (maxInFlight === undefined || inFlight.size < maxInFlight)) finished = inFlight.start();
        receiving.received();
      }
      // The slots may have filled while the body arrived.
      if (!finished) throw new TooBusyError('reviews');
      result = await reviewAdmission({ phase, body: read!.body, text: read!.text, timeout, handler: options.handler });
    } catch (error) {
      if (error instanceof TooBusyError) {
        refuseTooBusy(res, error.busy, phase, maxInFlight, inFlight, reviews, refusals);
        return;
      }
      if (error instanceof ClientGoneError || (error as NodeJS.ErrnoException | undefined)?.code === 'ECONNRESET') {
        logger.debug({ webhook: phase }, 'client disconnected before sending the whole review');
        return;
      }
      if (!(error instanceof AdmissionInputError)) throw error;
      result = {
        httpStatus: error.httpStatus,
        body: errorBody(error),
        decision: 'rejected',
        operation: 'unknown',
        inputError: error,
      };
    }
    send(res, result.httpStatus, result.body, options.isDraining?.() || result.decision === 'rejected' ? { connection: 'close' } : {});
    reviews.counted(phase, result.operation, result.decision);
    const seconds = (performance.now() - started) / 1000;
    reviews.timed(phase, seconds);
    logReview(logger, phase, result, seconds);
  } finally {
    metrics.admissionInFlight.dec();
    receiving.done();
    finished?.();
  }
}

/**
 * Identity fields are logged for every review; the API server keeps them short, but a client that
 * is not the API server can make each one megabytes long and so flood the log.
 */
const MAX_LOGGED_FIELD_RUNES = 256;
/** Policies named in one denial's log line (a request may be denied by every policy it selects). */
const MAX_LOGGED_POLICIES = 20;

function logged(text: string | undefined): string | undefined {
  return text ? truncateRunes(text, MAX_LOGGED_FIELD_RUNES) : undefined;
}

function logReview(logger: Logger, phase: Phase, result: ReviewResult, seconds: number): void {
  // Most reviews are logged at debug level only: their fields are not built unless it is on.
  const routine = (result.decision === 'allowed' || result.decision === 'patched') && !result.droppedPatch && !result.droppedAuditKeys?.length;
  if (routine && !logger.isLevelEnabled('debug')) return;
  const request = result.request;
  const fields = {
    webhook: phase,
    uid: logged(request?.uid),
    operation: result.operation,
    kind: request ? logged(`${request.kind.group ? `${request.kind.group}/` : ''}${request.kind.version}/${request.kind.kind}`) : undefined,
    subResource: logged(request?.subResource),
    namespace: request?.namespace || undefined,
    name: logged(request?.name),
    dryRun: request?.dryRun || undefined,
    decision: result.decision,
    durationMs: Math.round(seconds * 1e6) / 1e3,
  };
  if (result.decision === 'errored') {
    logger.error({ ...fields, err: result.failure }, 'policy engine failed; request denied with code 500');
  } else if (result.decision === 'rejected') {
    logger.warn({ ...fields, code: result.inputError?.code, reason: result.inputError?.message }, 'refused malformed admission request');
  } else if (result.decision === 'denied') {
    // Not the message: a violation or a KCL error may quote the object's values (docs/operations.md, Logs).
    const status = 'response' in result.body ? result.body.response.status : undefined;
    const policies = result.denial?.policies ?? [];
    const shown = policies.length > MAX_LOGGED_POLICIES ? [...policies.slice(0, MAX_LOGGED_POLICIES), `… ${policies.length - MAX_LOGGED_POLICIES} more`] : policies;
    // An invalid policy's or an internal denial's message is kclguard's own, never the object's.
    const own = result.denial?.kind === 'invalid_policy' || result.denial?.kind === 'internal';
    logger.info({ ...fields, code: status?.code, denial: result.denial?.kind, policies: shown, ...(own ? { reason: status?.message } : {}) }, 'admission denied');
  } else {
    logger.debug(fields, 'admission answered');
  }
  if (result.droppedPatch) logger.error(fields, 'the engine returned a patch for /validate; it was not sent');
  if (result.droppedAuditKeys && result.droppedAuditKeys.length > 0) {
    logger.warn({ ...fields, keys: result.droppedAuditKeys }, 'audit annotation keys that are not valid names were dropped');
  }
}

