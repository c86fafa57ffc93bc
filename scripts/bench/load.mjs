/**
 * Load generation over HTTPS keep-alive connections, for both benches: an open loop (requests
 * sent on a fixed schedule whatever the answers, latency counted from each request's scheduled
 * send time, so a stalled server shows up as latency instead of slowing the sender down) and a
 * closed loop (N clients, each sending its next request when the previous one is answered).
 */
import { Agent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';

/** A keep-alive agent for loopback servers with self-signed or private-CA certificates. */
export function loopbackAgent({ maxSockets = 256, ca, cert, key } = {}) {
  return new Agent({ keepAlive: true, maxSockets, ...(ca ? { ca } : { rejectUnauthorized: false }), ...(cert ? { cert, key } : {}) });
}

/** One request; resolves with {status, text} (status 0 and the error text when it failed). */
export function send(agent, url, { method = 'POST', body, headers = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { method, agent, headers: body ? { 'content-type': 'application/json', ...headers } : headers, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', (error) => resolve({ status: 0, text: String(error) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ status: 0, text: String(error) }));
    req.end(body);
  });
}

/**
 * Open loop: `rate` requests per second for `seconds`, request i being `next(i)` (a function
 * returning a promise of true for a good answer). Requests whose time has come are sent together
 * on each timer tick. Stops scheduling when `maxInFlight` are pending (a server that has stopped
 * answering must not make the bench queue without bound): those are counted as `skipped`, never
 * silently dropped from the figures.
 *
 * Each answer's latency is kept twice: from its scheduled send time (`latencies`: a server that
 * stalls the sender shows up as latency) and from the moment it was actually sent (`fromSend`).
 * The difference is the sender's own lateness (`lateness`): Node's timers count whole
 * milliseconds, so a request is sent up to about a millisecond after its time even on an idle
 * machine (`timerLateness` measures that alone).
 */
export async function openLoop({ rate, seconds, next, maxInFlight = 10_000 }) {
  const latencies = [];
  const fromSend = [];
  const lateness = [];
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending = [];
  const sendDue = (i, scheduled) => {
    if (inFlight >= maxInFlight) {
      skipped++;
      return;
    }
    inFlight++;
    const sentAt = performance.now();
    lateness.push(sentAt - scheduled);
    pending.push(
      next(i).then((ok) => {
        inFlight--;
        const now = performance.now();
        if (!ok) return void failed++;
        latencies.push(now - scheduled);
        fromSend.push(now - sentAt);
      }),
    );
  };
  const elapsed = await onSchedule(rate, seconds, sendDue);
  await Promise.all(pending);
  return { sent: lateness.length, answered: latencies.length, failed, skipped, elapsed, latencies, fromSend, lateness };
}

/** How late the open loop's schedule fires with nothing to send: the timers' own share of its latency. */
export async function timerLateness(rate, seconds) {
  const lateness = [];
  await onSchedule(rate, seconds, (_i, scheduled) => lateness.push(performance.now() - scheduled));
  return lateness;
}

/** Calls `due(i, scheduledAt)` for `rate * seconds` slots spaced 1/rate s apart; resolves with the seconds taken. */
async function onSchedule(rate, seconds, due) {
  const interval = 1000 / rate;
  const total = Math.round(rate * seconds);
  const start = performance.now();
  let i = 0;
  while (i < total) {
    const now = performance.now();
    for (; i < total && start + i * interval <= now; i++) due(i, start + i * interval);
    const wait = start + i * interval - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
  }
  return (performance.now() - start) / 1000;
}

/** Closed loop: `clients` concurrent loops of `next(clientIndex, n)` until `seconds` have passed. */
export async function closedLoop({ clients, seconds, next }) {
  const latencies = [];
  let failed = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  const client = async (c) => {
    for (let n = 0; performance.now() < until; n++) {
      const sent = performance.now();
      const ok = await next(c, n);
      if (ok) latencies.push(performance.now() - sent);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const elapsed = (performance.now() - start) / 1000;
  return { answered: latencies.length, failed, elapsed, throughput: latencies.length / elapsed, latencies };
}

/** Percentiles (nearest rank) of a list of latencies in ms; `undefined` for an empty list. */
export function percentiles(latencies, ps = [50, 95, 99, 99.9]) {
  const sorted = Float64Array.from(latencies).sort();
  const out = {};
  for (const p of ps) out[`p${p}`] = sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return out;
}

/** The median of the finite values (the mean of the middle two for an even count); undefined if none. */
export function median(values) {
  const sorted = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function fmt(n, digits = 1) {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** A table printed as aligned columns (the first column left-aligned, the others right-aligned). */
export function table(header, rows) {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}
