#!/usr/bin/env node
/**
 * Admission benchmark (`npm run bench`, after `npm run build`), on loopback, in four scenarios:
 * no policies; 10 policies (five mutations and five validations from policies/); 50 policies
 * (five renamed copies of each); and the Pod Security Standards pack (policies/pod-security, the
 * 18 controls of the restricted level) on a Pod that passes them all. Policies are copied into a
 * temporary directory, the KCLRuns moved into the requests' namespace so they all apply. For
 * each scenario, against a `kclguard serve` child process:
 *
 * - closed loop (saturation): autocannon, BENCH_CONNECTIONS connections for BENCH_DURATION
 *   seconds after BENCH_WARMUP, each connection alternating POST /mutate and /validate with the
 *   scenario's CREATE review: req/s, p50/p99, and the CPU µs per review of the server's main
 *   thread, of its other threads and of the load generator (Linux /proc, bench/thread-cpu.mjs);
 * - open loop at fixed rates (BENCH_RATES reviews/s for BENCH_OPEN_SECONDS each): the reviews are
 *   sent on schedule whatever the answers, latency measured from each review's scheduled send
 *   time: p50/p99/p99.9 below saturation, where a webhook lives; and the p99 from each review's
 *   actual send, beside the sender's own lateness (measured also before any server starts);
 * - the engine alone (scripts/bench/engine-cpu.mjs, no TLS/HTTP/JSON): CPU µs per review, with
 *   the policies run in process and in a worker pool of BENCH_ENGINE_WORKERS threads, and in
 *   process on the scenario's Pod as the API server sends it (scripts/bench/api-server-pod.mjs).
 *
 * Before the runs and after them, the machine's own stalls (scripts/bench/stalls.mjs): how often
 * and how long a thread that only spins is kept from running. The load average cannot see a busy
 * host under a virtual machine; a p99 cannot stay below the gaps the machine itself hands out.
 *
 * Then (scenario id `tls`) what a new connection costs the server with an RSA-2048 and with an
 * ECDSA P-256 certificate (scripts/bench/handshakes.mjs): the API server opens new connections to
 * webhooks under load, each a full TLS handshake.
 *
 * Then (scenario id `handoff`) what handing a job to a worker thread and its report back costs on
 * this machine apart from the job (scripts/bench/handoff.mjs): by message, through shared memory,
 * and with no thread ever sleeping.
 *
 * The peer: the same policies in Rego (scripts/bench/rego-examples.mjs, pss-rego.mjs) served by
 * Open Policy Agent under the same loads. OPA is OPA_BIN, else the pinned build of
 * scripts/bench-tools/build.sh (built on first use when Go is on PATH), else `opa` on PATH.
 *
 * Environment: BENCH_DURATION (10), BENCH_CONNECTIONS (64), BENCH_WARMUP (3), BENCH_RATES
 * (500,1000), BENCH_OPEN_SECONDS (10), BENCH_ENGINE_REVIEWS (5000), BENCH_ENGINE_WORKERS (2),
 * BENCH_WORKERS (kclguard serve --workers; default kclguard's own), BENCH_SCENARIOS (a
 * comma-separated subset of none,10,50,pss,tls,handoff), BENCH_TLS_ROUNDS (5), BENCH_HANDOFF_ROUNDS
 * (3), OPA_BIN, BENCH_NO_OPA=1, BENCH_SERVER_NODE_ARGS (Node flags for kclguard serve, e.g.
 * `--cpu-prof --cpu-prof-dir=DIR`; the server exits at once when stopped, so profiles are written),
 * BENCH_LOAD_SCHEDULING (batch: the load generator's threads under SCHED_BATCH in the closed
 * loops, so that its wake-ups do not preempt the server; normal: the default policy; see
 * bench/load-scheduling.mjs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import yaml from 'js-yaml';
import selfsigned from 'selfsigned';
import { fmt, freePort, loopbackAgent, openLoop, percentiles, send, table, timerLateness } from './bench/load.mjs';
import { runCommand, startProcess, scratchDir } from './bench/processes.mjs';
import { cpuPerItem, threadCpu } from './bench/thread-cpu.mjs';
import { handshakeCost } from './bench/handshakes.mjs';
import { handoffCost } from './bench/handoff.mjs';
import { compliantPod, packCases, packPolicies } from './bench/pss.mjs';
import { BENCH_POLICIES, writeRego } from './bench/rego-examples.mjs';
import { asTheApiServerSendsIt } from './bench/api-server-pod.mjs';
import { machineStalls } from './bench/stalls.mjs';
import { loadSchedulingPolicy, underLoadScheduling } from './bench/load-scheduling.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const DURATION = env('BENCH_DURATION', 10);
const CONNECTIONS = env('BENCH_CONNECTIONS', 64);
const WARMUP = env('BENCH_WARMUP', 3);
const RATES = (process.env.BENCH_RATES ?? '500,1000').split(',').map(Number).filter((n) => n > 0);
const OPEN_SECONDS = env('BENCH_OPEN_SECONDS', 10);
const ENGINE_REVIEWS = env('BENCH_ENGINE_REVIEWS', 5000);
const ENGINE_WORKERS = env('BENCH_ENGINE_WORKERS', 2);
const NAMESPACE = 'bench';

const wanted = (id) => !process.env.BENCH_SCENARIOS || process.env.BENCH_SCENARIOS.split(',').includes(id);
const SCENARIOS = [
  { id: 'none', label: 'no policies', count: 0 },
  { id: '10', label: '10 policies', count: 10 },
  { id: '50', label: '50 policies', count: 50 },
  { id: 'pss', label: 'PSS pack (18)', pss: true },
].filter((s) => wanted(s.id));

const KCLGUARD_PATHS = ['/mutate?timeout=10s', '/validate?timeout=10s'];
const OPA_PATHS = ['/v0/data/kclguard/mutate/main', '/v0/data/kclguard/validate/main'];

/** The KCLRun documents of BENCH_POLICIES from policies/<name>/policy.yaml; missing ones are reported. */
function examplePolicies() {
  const found = [];
  for (const name of BENCH_POLICIES) {
    const file = join(ROOT, 'policies', name, 'policy.yaml');
    const doc = existsSync(file) ? yaml.loadAll(readFileSync(file, 'utf8')).find((d) => d && /^(Cluster)?KCLRun$/.test(d.kind)) : undefined;
    if (doc) found.push(doc);
    else console.log(`  (policies/${name}/policy.yaml not found: left out of both kclguard and OPA runs)`);
  }
  return found;
}

/** The scenario's policies in `dir`: `count` examples (renamed apart, moved into the namespace) or the PSS pack. */
function writePolicies(dir, scenario, examples) {
  const docs = [];
  if (scenario.pss) docs.push(...packPolicies(ROOT));
  for (let i = 0; i < (scenario.count ?? 0); i++) {
    const doc = structuredClone(examples[i % examples.length]);
    const round = Math.floor(i / examples.length);
    if (round > 0) doc.metadata.name = `${doc.metadata.name}-${round + 1}`;
    if (doc.kind === 'KCLRun') doc.metadata.namespace = NAMESPACE;
    docs.push(doc);
  }
  if (docs.length > 0) writeFileSync(join(dir, 'policies.yaml'), docs.map((d) => yaml.dump(d, { lineWidth: -1 })).join('---\n'));
}

/**
 * The scenario's CREATE review: the fixture Pod (the examples' scenarios) or a Pod the PSS pack
 * admits; with `asSent`, that Pod as the API server sends it when a controller creates it.
 */
function reviewBody(scenario, { asSent = false } = {}) {
  const review = JSON.parse(readFileSync(join(ROOT, 'test', 'admission', 'fixtures', 'pod-create.json'), 'utf8'));
  review.request.namespace = NAMESPACE;
  if (scenario.pss) {
    review.request.object = compliantPod(NAMESPACE, review.request.name ?? 'web');
  } else {
    review.request.object.metadata.namespace = NAMESPACE;
    // From an allowed repository and pinned, so the validations pass as most real requests do.
    review.request.object.spec.containers[0].image = 'registry.example.com/web:1.27';
  }
  if (asSent) review.request.object = asTheApiServerSendsIt(review.request.object);
  return JSON.stringify(review);
}

const agent = loopbackAgent({ maxSockets: CONNECTIONS });
/** Per open-loop rate: the sender's schedule alone, run before any server starts (timerLateness). */
const idleLateness = new Map();
/** The machine's own stalls, measured before any server starts (stalls.mjs). */
let stallsBefore;

/** One /mutate and one /validate answer, summarised, so the two servers' decisions can be compared. */
async function answerSummary(url, body, paths) {
  const answers = [];
  for (const path of paths) {
    const { status, text } = await send(agent, `${url}${path}`, { body });
    if (status !== 200) throw new Error(`${url}${path} answered ${status}: ${text.slice(0, 500)}`);
    answers.push(JSON.parse(text).response ?? {});
  }
  const patch = answers[0].patch ? JSON.parse(Buffer.from(answers[0].patch, 'base64').toString('utf8')) : [];
  return `mutate allowed=${answers[0].allowed} with ${patch.length} patch operations; validate allowed=${answers[1].allowed}`;
}

function closedLoop(url, body, duration, paths) {
  const headers = { 'content-type': 'application/json' };
  return autocannon({ url, connections: CONNECTIONS, duration, requests: paths.map((path) => ({ method: 'POST', path, headers, body })) });
}

/** The HTTP statuses other than 2xx that a closed loop got, e.g. ` (429: 3)`; empty when there were none. */
function statusesOf(closed) {
  const other = Object.entries(closed.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2'));
  return other.length === 0 ? '' : ` (${other.map(([code, { count }]) => `${code}: ${count}`).join(', ')})`;
}

/**
 * The open-loop runs of one server (process `pid`): for each rate, p50/p99/p99.9 from the
 * scheduled and from the actual send times, and the server's CPU per review. Below saturation
 * each review finds the server idle and its caches cold: that CPU, not the closed loop's, is what
 * a webhook costs a cluster that is not saturating it (docs/performance.md).
 */
async function openLoops(url, body, paths, pid) {
  const results = [];
  for (const rate of RATES) {
    const failures = {};
    const next = async (i) => {
      const { status, text } = await send(agent, `${url}${paths[i % 2]}`, { body });
      if (status === 200) return true;
      const key = status === 0 ? text.slice(0, 80) : `HTTP ${status}`;
      failures[key] = (failures[key] ?? 0) + 1;
      return false;
    };
    // A short run first opens the connections a rate needs (TLS handshakes are not the review's cost).
    await openLoop({ rate, seconds: Math.min(2, OPEN_SECONDS), next });
    for (const key of Object.keys(failures)) delete failures[key];
    const before = threadCpu(pid);
    const run = await openLoop({ rate, seconds: OPEN_SECONDS, next });
    results.push({
      cpu: cpuPerItem(before, threadCpu(pid), run.sent),
      rate,
      failed: run.failed,
      skipped: run.skipped,
      failures,
      ...percentiles(run.latencies, [50, 99, 99.9]),
      fromSend: percentiles(run.fromSend, [50, 99, 99.9]),
      lateness: percentiles(run.lateness, [99]),
    });
  }
  return results;
}

/** Why the load generator could not be put under SCHED_BATCH, or back; each reason said once. */
const loadSchedulingWarnings = new Set();
function warnLoadScheduling(reason) {
  if (loadSchedulingWarnings.has(reason)) return;
  loadSchedulingWarnings.add(reason);
  console.log(`  (load generator scheduling: ${reason})`);
}

/**
 * Closed and open loops against one running server (process `pid`), with the CPU per review of
 * the server's threads and of this process (the load generator) in the closed loop.
 */
async function drive(url, body, paths, pid) {
  const sanity = await answerSummary(url, body, paths);
  const { before, closed, load } = await underLoadScheduling(async () => {
    if (WARMUP > 0) await closedLoop(url, body, WARMUP, paths);
    const before = { server: threadCpu(pid), load: process.cpuUsage(), loadThreads: threadCpu(process.pid) };
    const closed = await closedLoop(url, body, DURATION, paths);
    return { before, closed, load: process.cpuUsage(before.load) };
  }, warnLoadScheduling);
  const reviews = closed.requests.total;
  const loadThreads = cpuPerItem(before.loadThreads, threadCpu(process.pid), reviews);
  const cpu = {
    server: cpuPerItem(before.server, threadCpu(pid), reviews),
    loadUs: (load.user + load.system) / reviews,
    loadSleeps: loadThreads ? loadThreads.mainSleeps + loadThreads.otherSleeps : undefined,
  };
  const open = await openLoops(url, body, paths, pid);
  return { sanity, closed, cpu, open };
}

async function kclguardScenario(scenario, examples, body) {
  const dir = scratchDir('kclguard-bench-');
  try {
    writePolicies(dir, scenario, examples);
    const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const args = [...nodeArgs, MAIN, 'serve', '--policies', dir, '--port', '0', '--log-level', 'error', '--shutdown-delay-seconds', '0', '--shutdown-grace-seconds', '2'];
    if (process.env.BENCH_WORKERS) args.push('--workers', process.env.BENCH_WORKERS);
    const server = await startProcess(process.execPath, args, {
      env: { ...process.env, XDG_CACHE_HOME: dir },
      ready: (output) => /kclguard serving (https:\/\/\S+)/.exec(output)?.[1],
      name: 'kclguard serve',
    });
    try {
      return { ...(await drive(server.ready, body, KCLGUARD_PATHS, server.pid)), engine: await engineCpu(dir, body, reviewBody(scenario, { asSent: true })) };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CPU µs per review of the engine alone (scripts/bench/engine-cpu.mjs): in process and with the
 * worker pool on the scenario's review, and in process on its Pod as the API server sends it.
 */
async function engineCpu(dir, body, sentBody) {
  const results = {};
  const runs = [
    { key: 'inProcess', review: body, workers: 0 },
    { key: 'pool', review: body, workers: ENGINE_WORKERS },
    { key: 'asSent', review: sentBody, workers: 0 },
  ];
  for (const { key, review, workers } of runs) {
    const reviewFile = join(dir, `review-${key}.json`);
    writeFileSync(reviewFile, review);
    const { code, stdout, stderr } = await runCommand(process.execPath, [join(ROOT, 'scripts', 'bench', 'engine-cpu.mjs'), dir, reviewFile, String(ENGINE_REVIEWS), String(workers)]);
    if (code !== 0) throw new Error(`engine-cpu.mjs (${key}, ${workers} workers) exited with ${code}:\n${stderr}`);
    results[key] = JSON.parse(stdout.trim().split('\n').pop());
  }
  results.asSentKb = Buffer.byteLength(JSON.stringify(JSON.parse(sentBody).request.object)) / 1024;
  // The Pod as sent must meet the same answers, or the two columns would not measure the same work.
  for (const phase of ['mutate', 'validate']) {
    const [small, sent] = [results.inProcess.answers[phase], results.asSent.answers[phase]];
    if (small.allowed !== sent.allowed || small.policiesRun !== sent.policiesRun) {
      throw new Error(`the Pod as the API server sends it got another ${phase} answer: ${JSON.stringify(sent)} against ${JSON.stringify(small)}`);
    }
  }
  return results;
}

/** OPA_BIN, else the pinned build (built now when Go is there), else `opa` on PATH. */
async function opaBinary() {
  if (process.env.OPA_BIN) return process.env.OPA_BIN;
  const built = await runCommand(join(ROOT, 'scripts', 'bench-tools', 'build.sh'), ['opa']);
  if (built.code === 0) return built.stdout.trim();
  console.log(`  (the pinned OPA build failed: ${built.stderr.trim().split('\n').pop()})`);
  return (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'opa')).find((p) => existsSync(p));
}

async function opaScenario(opa, scenario, body) {
  const dir = scratchDir('kclguard-bench-opa-');
  try {
    writeRego(join(dir, 'rego'), { count: scenario.count ?? 0, pss: scenario.pss === true, namespace: NAMESPACE, root: ROOT });
    const check = spawnSync(opa, ['check', join(dir, 'rego')], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`opa check failed:\n${check.stdout}${check.stderr}`);
    const pems = selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
    writeFileSync(join(dir, 'tls.crt'), pems.cert);
    writeFileSync(join(dir, 'tls.key'), pems.private);
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const server = await startProcess(
      opa,
      ['run', '--server', '--addr', `127.0.0.1:${port}`, '--tls-cert-file', join(dir, 'tls.crt'), '--tls-private-key-file', join(dir, 'tls.key'), '--log-level', 'error', join(dir, 'rego')],
      { name: 'opa', ready: () => true },
    );
    try {
      await waitHealthy(`${url}/health`);
      if (scenario.pss) await checkPackCases(url);
      return await drive(url, body, OPA_PATHS, server.pid);
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each Rego twin decides every case of its control's tests as the reference KCL does (OPA's data
 * API asked for that one package's `deny` on a review of the case); a difference stops the bench
 * rather than measure unlike work.
 */
async function checkPackCases(url) {
  const template = JSON.parse(readFileSync(join(ROOT, 'test', 'admission', 'fixtures', 'pod-create.json'), 'utf8'));
  const wrong = [];
  const cases = packCases(ROOT);
  for (const c of cases) {
    const [group, version] = c.object.apiVersion.includes('/') ? c.object.apiVersion.split('/') : ['', c.object.apiVersion];
    const review = structuredClone(template);
    Object.assign(review.request, { kind: { group, version, kind: c.object.kind }, namespace: c.object.metadata.namespace, name: c.object.metadata.name, operation: c.operation, object: c.object });
    const path = `/v1/data/kclguard/policies/pss_${c.control.replaceAll('-', '_')}/deny`;
    const { status, text } = await send(agent, `${url}${path}`, { body: JSON.stringify({ input: review }) });
    const admitted = status === 200 ? (JSON.parse(text).result ?? []).length === 0 : `HTTP ${status}`;
    if (admitted !== c.admitted) wrong.push(`${c.id}: expected ${c.admitted ? 'admitted' : 'refused'}, got ${admitted === true ? 'admitted' : admitted === false ? 'refused' : admitted}`);
  }
  if (wrong.length > 0) throw new Error(`the Rego twins of the PSS pack disagree with its tests:\n${wrong.join('\n')}`);
  console.log(`  OPA decides all ${cases.length} cases of the PSS pack's tests as the reference KCL does, control by control`);
}

async function waitHealthy(url) {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if ((await send(agent, url, { method: 'GET' })).status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become healthy`);
}

/** The open-loop failures of a server by cause, when there were any. */
function openFailures(open) {
  const parts = open.filter((r) => Object.keys(r.failures).length > 0).map((r) => `${r.rate}/s: ${JSON.stringify(r.failures)}`);
  return parts.length > 0 ? `; open-loop failures ${parts.join(', ')}` : '';
}

function report(rows) {
  const base = rows[0].kclguard.closed;
  const ratio = (a, b, digits = 2) => fmt(a / b, digits);
  console.log('\nClosed loop (saturation), req/s and latency in ms:');
  console.log(
    table(
      ['scenario', 'kclguard req/s', 'p50', 'p99', 'req/s vs none', 'OPA req/s', 'OPA p50', 'OPA p99', 'kclguard/OPA req/s', 'kclguard/OPA p99'],
      rows.map(({ scenario, kclguard: k, opa: o }) => [
        scenario.label,
        fmt(k.closed.requests.average, 0),
        fmt(k.closed.latency.p50),
        fmt(k.closed.latency.p99),
        ratio(k.closed.requests.average, base.requests.average),
        o ? fmt(o.closed.requests.average, 0) : '-',
        o ? fmt(o.closed.latency.p50) : '-',
        o ? fmt(o.closed.latency.p99) : '-',
        o ? ratio(k.closed.requests.average, o.closed.requests.average) : '-',
        o ? ratio(k.closed.latency.p99, o.closed.latency.p99) : '-',
      ]),
    ),
  );
  console.log(`\nOpen loop (${OPEN_SECONDS}s per rate), latency in ms from the scheduled send time, and p99 from the actual send:`);
  console.log(
    table(
      ['scenario', 'reviews/s', 'p50', 'p99', 'p99.9', 'p99 from send', 'failed+skipped', 'OPA p50', 'OPA p99', 'OPA p99.9', 'OPA p99 from send', 'OPA failed+skipped'],
      rows.flatMap(({ scenario, kclguard: k, opa: o }) =>
        k.open.map((r, i) => [
          scenario.label,
          r.rate,
          fmt(r.p50, 2),
          fmt(r.p99, 2),
          fmt(r['p99.9'], 2),
          fmt(r.fromSend.p99, 2),
          r.failed + r.skipped,
          o ? fmt(o.open[i].p50, 2) : '-',
          o ? fmt(o.open[i].p99, 2) : '-',
          o ? fmt(o.open[i]['p99.9'], 2) : '-',
          o ? fmt(o.open[i].fromSend.p99, 2) : '-',
          o ? o.open[i].failed + o.open[i].skipped : '-',
        ]),
      ),
    ),
  );
  console.log('The sender\'s own lateness (actual send after scheduled send), p99 ms, under load and, measured first, with nothing to send:');
  console.log(
    table(
      ['scenario', 'reviews/s', 'kclguard run', 'OPA run', 'idle'],
      rows.flatMap(({ scenario, kclguard: k, opa: o }) =>
        k.open.map((r, i) => [scenario.label, r.rate, fmt(r.lateness.p99, 2), o ? fmt(o.open[i].lateness.p99, 2) : '-', fmt(idleLateness.get(r.rate)?.p99, 2)]),
      ),
    ),
  );
  if (rows.some((r) => r.kclguard.cpu.server)) {
    console.log('\nClosed loop, CPU µs per review: the server by thread (main; all others: policy workers and V8 helpers) and the load generator; and how often per review kclguard\'s threads and the load generator went to sleep (voluntary context switches):');
    console.log(
      table(
        ['scenario', 'kclguard main', 'kclguard others', 'kclguard total', 'load generator', 'OPA total', 'load generator (OPA run)', 'kclguard sleeps: main', 'others', 'load generator'],
        rows.map(({ scenario, kclguard: k, opa: o }) => [
          scenario.label,
          fmt(k.cpu.server?.main, 0),
          fmt(k.cpu.server?.others, 0),
          fmt(k.cpu.server?.total, 0),
          fmt(k.cpu.loadUs, 0),
          o?.cpu.server ? fmt(o.cpu.server.total, 0) : '-',
          o ? fmt(o.cpu.loadUs, 0) : '-',
          fmt(k.cpu.server?.mainSleeps, 2),
          fmt(k.cpu.server?.otherSleeps, 2),
          fmt(k.cpu.loadSleeps, 2),
        ]),
      ),
    );
  }
  if (rows.some((r) => r.kclguard.open.some((run) => run.cpu))) {
    console.log('\nOpen loop, CPU µs per review of the server by thread, below saturation (each review finds the server idle), beside the closed loop\'s total; and how often per review kclguard\'s threads went to sleep:');
    console.log(
      table(
        ['scenario', 'reviews/s', 'kclguard main', 'kclguard others', 'kclguard total', 'vs closed loop', 'OPA total', 'OPA vs closed loop', 'kclguard sleeps: main', 'others'],
        rows.flatMap(({ scenario, kclguard: k, opa: o }) =>
          k.open.map((r, i) => {
            const peer = o?.open[i]?.cpu;
            return [
              scenario.label,
              r.rate,
              fmt(r.cpu?.main, 0),
              fmt(r.cpu?.others, 0),
              fmt(r.cpu?.total, 0),
              k.cpu.server ? fmt(r.cpu?.total / k.cpu.server.total, 2) : '-',
              peer ? fmt(peer.total, 0) : '-',
              peer && o.cpu.server ? fmt(peer.total / o.cpu.server.total, 2) : '-',
              fmt(r.cpu?.mainSleeps, 2),
              fmt(r.cpu?.otherSleeps, 2),
            ];
          }),
        ),
      ),
    );
  }
  console.log(`\nThe engine alone (no TLS/HTTP/JSON), CPU µs per review (all threads), ${ENGINE_REVIEWS} reviews; the last column in process on the scenario's Pod as the API server sends it (scripts/bench/api-server-pod.mjs):`);
  console.log(
    table(
      ['scenario', 'in process µs', 'policies run (mutate/validate)', `pool of ${ENGINE_WORKERS} µs`, 'pool wall µs/review', 'Pod as sent: KB', 'in process µs'],
      rows.map(({ scenario, kclguard: k }) => [
        scenario.label,
        fmt(k.engine.inProcess.cpuUsPerReview),
        `${k.engine.inProcess.answers.mutate.policiesRun}/${k.engine.inProcess.answers.validate.policiesRun}`,
        fmt(k.engine.pool.cpuUsPerReview),
        fmt(k.engine.pool.wallUsPerReview),
        fmt(k.engine.asSentKb, 1),
        fmt(k.engine.asSent.cpuUsPerReview),
      ]),
    ),
  );
  const ten = rows.find((r) => r.scenario.id === '10');
  if (ten && rows[0].scenario.id === 'none') {
    const share = ten.kclguard.closed.requests.average / base.requests.average;
    console.log(`\ngoal 10-policy throughput >= 50% of no-policy: ${share >= 0.5 ? 'met' : 'NOT met'} (${fmt(100 * share, 0)}%)`);
    const at500 = ten.kclguard.open.find((r) => r.rate === 500);
    if (at500) {
      const verdict = at500.p99 < 5 ? 'met' : at500.fromSend.p99 < 5 ? 'met from the actual send only' : 'NOT met';
      console.log(`goal open loop at 500 reviews/s with 10 policies, p99 < 5 ms: ${verdict} (${fmt(at500.p99, 2)} ms from the scheduled send, ${fmt(at500.fromSend.p99, 2)} ms from the actual send; the machine stalled threads by itself ${fmt(stallsBefore.over1msPerSecond, 1)} times a second per thread for over 1 ms before the runs, up to ${fmt(stallsBefore.longest[0] ?? 0, 1)} ms)`);
    }
  }
  for (const row of rows.filter((r) => r.opa && r.scenario.count >= 10)) {
    const k = row.kclguard.closed;
    const o = row.opa.closed;
    const met = k.requests.average >= o.requests.average && k.latency.p99 <= o.latency.p99;
    console.log(`goal ${row.scenario.label}: kclguard req/s >= OPA's and p99 <= OPA's: ${met ? 'met' : 'NOT met'}`);
  }
}

async function reportHandshakes() {
  const rounds = env('BENCH_TLS_ROUNDS', 5);
  const result = await handshakeCost({ main: MAIN, body: reviewBody({ count: 0 }), rounds });
  if (result.skipped) {
    console.log(`\nTLS handshakes: skipped (${result.skipped})`);
    return;
  }
  console.log(`\nA new connection (full TLS handshake, no session resumption) against a kept-alive one, no policies, server CPU µs per review (median of ${rounds} rounds, one review at a time):`);
  console.log(
    table(
      ['certificate key', 'new connection', 'kept alive', 'the handshake adds'],
      result.rows.map((row) => [row.key, fmt(row.freshUs, 0), fmt(row.keptUs, 0), fmt(row.freshUs - row.keptUs, 0)]),
    ),
  );
  const [rsa, ecdsa] = result.rows;
  console.log(`ECDSA P-256 handshake / RSA-2048 handshake: ${fmt((ecdsa.freshUs - ecdsa.keptUs) / (rsa.freshUs - rsa.keptUs), 2)}`);
}

/** The policy work each hand-off job stands in for: about four policy runs (the engine alone). */
const HANDOFF_WORK_US = 100;

function reportHandoff() {
  const rounds = env('BENCH_HANDOFF_ROUNDS', 3);
  const dir = scratchDir('kclguard-bench-');
  let rows;
  try {
    const reviewFile = join(dir, 'review.json');
    writeFileSync(reviewFile, reviewBody({ count: 10 }));
    rows = handoffCost({ reviewFile, workUs: HANDOFF_WORK_US, inflight: 2, rounds });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nHanding a job (the review's text) to a worker thread and a 1 KiB report back, ${HANDOFF_WORK_US} µs of CPU per job in the worker, 2 jobs in flight (median of ${rounds} rounds):`);
  console.log(
    table(
      ['transport', 'CPU µs per job', 'CPU over the job', 'wall µs per job', 'threads sleeping per job'],
      rows.map((row) => [row.transport, fmt(row.cpuUs, 1), row.transport === 'poll' ? '(spins)' : fmt(row.cpuUs - HANDOFF_WORK_US, 1), fmt(row.wallUs, 1), fmt(row.sleepsPerJob, 2)]),
    ),
  );
  const floor = rows.find((row) => row.transport === 'poll').wallUs - HANDOFF_WORK_US;
  const message = rows.find((row) => row.transport === 'message');
  console.log(`with no thread sleeping (poll: the main thread spins) the hand-off adds ${fmt(floor, 1)} µs per job to the worker's time; by message each sleep and wake-up of a thread costs about ${fmt((message.cpuUs - HANDOFF_WORK_US - floor) / message.sleepsPerJob, 0)} µs of CPU`);
}

async function main() {
  if (!existsSync(MAIN)) {
    console.error('dist/main.js not found: run `npm run build` first (npm run bench does)');
    return 2;
  }
  const examples = examplePolicies();
  console.log(`kclguard admission benchmark: closed loop ${CONNECTIONS} connections ${DURATION}s (+${WARMUP}s warm-up); open loop ${RATES.join(', ')} reviews/s ${OPEN_SECONDS}s each; /mutate + /validate`);
  console.log(`node ${process.version}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(
    loadSchedulingPolicy() === 'batch'
      ? 'load generator: under SCHED_BATCH in the closed loops, so that its wake-ups do not preempt the server (scripts/bench/load-scheduling.mjs; BENCH_LOAD_SCHEDULING=normal for the default policy)'
      : 'load generator: the default scheduling policy in the closed loops (BENCH_LOAD_SCHEDULING=normal)',
  );
  stallsBefore = await machineStalls();
  console.log(`the machine's own stalls before (scripts/bench/stalls.mjs): ${stallsBefore.text}`);
  const opa = process.env.BENCH_NO_OPA === '1' ? undefined : await opaBinary();
  if (opa) console.log(`OPA peer: ${spawnSync(opa, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0]} (${opa})`);
  else console.log('OPA peer: skipped (BENCH_NO_OPA=1, or no OPA could be built or found)');
  if (SCENARIOS.length > 0) {
    for (const rate of RATES) idleLateness.set(rate, percentiles(await timerLateness(rate, Math.min(5, OPEN_SECONDS)), [99]));
  }
  const rows = [];
  for (const scenario of SCENARIOS) {
    const body = reviewBody(scenario);
    const kclguard = await kclguardScenario(scenario, examples, body);
    console.log(`  kclguard, ${scenario.label}: ${kclguard.sanity}; closed loop ${kclguard.closed.requests.total} requests, ${kclguard.closed.non2xx} non-2xx${statusesOf(kclguard.closed)}, ${kclguard.closed.errors} errors${openFailures(kclguard.open)}`);
    const peer = opa ? await opaScenario(opa, scenario, body) : undefined;
    if (peer) console.log(`  OPA, ${scenario.label}: ${peer.sanity}; closed loop ${peer.closed.requests.total} requests, ${peer.closed.non2xx} non-2xx${statusesOf(peer.closed)}, ${peer.closed.errors} errors${openFailures(peer.open)}`);
    rows.push({ scenario, kclguard, opa: peer });
  }
  if (rows.length > 0) report(rows);
  if (wanted('tls')) await reportHandshakes();
  if (wanted('handoff')) reportHandoff();
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`the machine's own stalls after: ${(await machineStalls()).text}`);
  return 0;
}

main().then(
  (code) => {
    agent.destroy();
    process.exitCode = code;
  },
  (error) => {
    agent.destroy();
    console.error(`bench-admission: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
