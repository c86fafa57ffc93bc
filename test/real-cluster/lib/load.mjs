// A steady, bounded write load through the API server and the judgement of every answer.
//
// Each write creates a ConfigMap in the load namespace, where two policies act (policies.mjs):
// one labels every ConfigMap, one refuses those carrying the deny label. Every fifth write
// carries it. An answer is
//   ok     the expected outcome: created and labelled, or refused by the policy;
//   wrong  a wrong decision: created without the label, created although it had to be refused
//          (failing open), or refused although it had to be created;
//   failed no decision: the API server could not call the webhook (failurePolicy Fail), timed
//          out, refused the connection, throttled (429)...
import { CHURN_ANNOTATION, DENY_LABEL, DENY_MESSAGE, MUTATION_LABEL } from './policies.mjs';

/** A reason without what differs between otherwise equal failures (addresses, ports), so equal ones count together. */
export function normalizeReason(text) {
  return text.replace(/\d{1,3}(\.\d{1,3}){3}(:\d+)?/g, 'ADDR').replace(/->ADDR/g, '').slice(0, 240);
}

export function classify(expectDenied, answer, { churn = false } = {}) {
  if (answer.error) return { outcome: 'failed', reason: normalizeReason(`connection: ${answer.error}`) };
  const { status, body } = answer;
  const message = String(body?.message ?? '');
  const deniedByPolicy = status >= 400 && status < 500 && message.includes('denied the request') && message.includes(DENY_MESSAGE);
  if (status === 201) {
    if (expectDenied) return { outcome: 'wrong', reason: 'created although the policy refuses it' };
    const labels = body?.metadata?.labels ?? {};
    if (labels[MUTATION_LABEL] !== 'true') return { outcome: 'wrong', reason: 'created without the mutation' };
    if (churn && !(body?.metadata?.annotations ?? {})[CHURN_ANNOTATION]) return { outcome: 'wrong', reason: 'created without the churned policy\'s mutation' };
    return { outcome: 'ok' };
  }
  if (deniedByPolicy) return expectDenied ? { outcome: 'ok' } : { outcome: 'wrong', reason: 'refused by the policy although allowed' };
  return { outcome: 'failed', reason: normalizeReason(`HTTP ${status}: ${message}`) };
}

/**
 * Sends `ratePerSecond` writes per second until `stop` resolves (or `maxSeconds` pass), then
 * waits for the answers. Open loop: a slow answer does not slow the next write down, as with
 * real clients. Returns one record per write.
 */
export async function runLoad(client, namespace, { ratePerSecond = 20, stop, maxSeconds, churn = false, label }) {
  const records = [];
  const pending = new Set();
  const started = Date.now();
  let stopped = false;
  void stop.then(() => (stopped = true));
  const interval = 1000 / ratePerSecond;
  for (let i = 0; !stopped && Date.now() - started < maxSeconds * 1000; i++) {
    const expectDenied = i % 5 === 4;
    const labels = expectDenied ? { [DENY_LABEL]: 'true' } : {};
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: `${label}-`, labels }, data: { i: String(i) } };
    const sentAt = Date.now();
    const write = client.request('POST', `/api/v1/namespaces/${namespace}/configmaps`, body).then((answer) => {
      records.push({ i, sentAt, doneAt: Date.now(), expectDenied, ...classify(expectDenied, answer, { churn }) });
    });
    pending.add(write);
    void write.then(() => pending.delete(write));
    const next = started + (i + 1) * interval;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
  }
  await Promise.all(pending);
  return records.sort((a, b) => a.i - b.i);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(records) {
  const count = (outcome) => records.filter((r) => r.outcome === outcome).length;
  const latencies = records.filter((r) => r.outcome === 'ok').map((r) => r.doneAt - r.sentAt).sort((a, b) => a - b);
  const seconds = records.length > 1 ? (records[records.length - 1].sentAt - records[0].sentAt) / 1000 : 0;
  const reasons = {};
  for (const r of records) if (r.reason) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
  return {
    writes: records.length,
    seconds: Math.round(seconds * 10) / 10,
    ok: count('ok'),
    failed: count('failed'),
    wrong: count('wrong'),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? latencies[latencies.length - 1] : 0,
    reasons,
  };
}

/**
 * Per second of the run (by the time each write was sent): [second, ok, failed, wrong]; only
 * seconds with a failed or wrong write, to keep the printout short.
 */
export function badSeconds(records) {
  if (records.length === 0) return [];
  const start = records[0].sentAt;
  const buckets = new Map();
  for (const r of records) {
    const second = Math.floor((r.sentAt - start) / 1000);
    const bucket = buckets.get(second) ?? [second, 0, 0, 0];
    bucket[r.outcome === 'ok' ? 1 : r.outcome === 'failed' ? 2 : 3] += 1;
    buckets.set(second, bucket);
  }
  return [...buckets.values()].filter((b) => b[2] + b[3] > 0);
}

/** Seconds from `sinceMs` until the first write that starts a run of `streak` ok answers. */
export function recoverySeconds(records, sinceMs, streak = 20) {
  let run = 0;
  for (let k = 0; k < records.length; k++) {
    const r = records[k];
    if (r.sentAt < sinceMs) continue;
    run = r.outcome === 'ok' ? run + 1 : 0;
    if (run === streak) return Math.max(0, (records[k - streak + 1].sentAt - sinceMs) / 1000);
  }
  return undefined;
}

export const BROKEN_AFTER_KILL_MS = 500;

/**
 * The failed writes of a `kill -9`, by cause, and when each was sent and answered relative to the
 * kill:
 * - `connectionBroken`: a webhook call on a connection to the killed process broke (EOF, reset,
 *   broken pipe). Either it was in flight when the process died, or the API server wrote it on a
 *   kept-alive connection to the process before reading that connection's close: Go's transport
 *   does not retry a POST once written. The close reaches the API server within milliseconds of
 *   the kill, so the write must be sent at most BROKEN_AFTER_KILL_MS after it (a generous bound:
 *   a broken connection later is the surviving replica's, and counts against kclguard) and
 *   answered after it.
 * - `routedToDeadPod`: a new connection the Service sent to the dead Pod before kube-proxy dropped
 *   its route (refused), sent between the kill and that moment.
 * - `otherwise`: every other failure, which the fault must not cause.
 */
export function killFailures(records, killedAt, routeGoneAt) {
  const connectionBroken = (r) => r.sentAt <= killedAt + BROKEN_AFTER_KILL_MS && r.doneAt >= killedAt && /EOF|connection reset|broken pipe|ECONNRESET|EPIPE/i.test(r.reason ?? '');
  const routedToDeadPod = (r) => r.sentAt >= killedAt && r.sentAt <= routeGoneAt && /connection refused/i.test(r.reason ?? '');
  const counts = { connectionBroken: 0, routedToDeadPod: 0, otherwise: 0 };
  const timeline = [];
  for (const r of records) {
    if (r.outcome !== 'failed') continue;
    const cause = connectionBroken(r) ? 'connectionBroken' : routedToDeadPod(r) ? 'routedToDeadPod' : 'otherwise';
    counts[cause] += 1;
    timeline.push(`sent ${signedMs(r.sentAt - killedAt)} answered ${signedMs(r.doneAt - killedAt)} ${cause}`);
  }
  return { ...counts, timeline };
}

const signedMs = (ms) => `${ms < 0 ? '' : '+'}${Math.round(ms)} ms`;
