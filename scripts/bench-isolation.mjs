#!/usr/bin/env node
/**
 * Isolation benchmark (`npm run bench:isolation`, after `npm run build`): does one tenant's slow or
 * hostile policy slow down everyone else? A `kclguard serve` child process loads four policies in
 * four namespaces:
 *   light  — a cheap validation (the stream being measured),
 *   slow   — as many steps as the interpreter allows, with a budget it fills to ~75% (SLOW_SHARE),
 *   bomb   — yaml.decode of a ConfigMap key (fed a "billion laughs" document),
 *   redos  — regex.match of a label with ^([a-z0-9]+-?)+$ (fed a hostile 40-character value).
 * Then, open loop (requests are sent on schedule whatever the answers; latency counts from the
 * scheduled time): a light review stream at LIGHT_RATE req/s and /healthz polled every 20 ms,
 * first alone, then beside back-to-back slow reviews (ATTACKERS concurrent loops), beside a YAML
 * bomb stream, beside a ReDoS stream. Prints p50/p99 of the light stream and of /healthz per
 * scenario with the ratios to the alone run, how each attack was answered (its code and latency),
 * and whether the server process died. Goal (issue 9): light p99 within 2x of alone, /healthz p99
 * under 50 ms, 0 deaths.
 *
 * Environment: BENCH_DURATION (seconds per scenario, default 10), LIGHT_RATE (default 50),
 * ATTACKERS (default 4), BENCH_WORKERS (--workers, default kclguard's own).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from './bench/processes.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const DURATION = Number(process.env.BENCH_DURATION ?? 10) * 1000;
const LIGHT_RATE = Number(process.env.LIGHT_RATE ?? 50);
const ATTACKERS = Number(process.env.ATTACKERS ?? 4);
const SLOW_SHARE = 0.75;

const policy = (name, namespace, source, extra = {}) => ({
  apiVersion: 'krm.kcl.dev/v1alpha1',
  kind: 'KCLRun',
  metadata: { name, namespace },
  spec: { mode: 'Validate', failureAction: 'abort', source, ...extra },
});

const POLICIES = (slow) => [
  policy('light', 'light', 'assert "app" in option("items")[0].metadata.labels, "label app is required"\n'),
  policy('slow', 'slow', SLOW_SOURCE, { params: { m: slow.m }, timeoutMillis: slow.timeoutMillis }),
  policy('bomb', 'bomb', 'import yaml\nconfig = yaml.decode(option("items")[0].data["config.yaml"])\n', { timeoutMillis: 200 }),
  policy('redos', 'redos', 'import regex\nv = option("items")[0].metadata.labels.version\nassert regex.match(v, r"^([a-z0-9]+-?)+$"), "bad version label"\n', { timeoutMillis: 100 }),
];

const BILLION_LAUGHS = readFileSync(join(ROOT, 'test', 'support', 'billion-laughs.yaml'), 'utf8');

function review(namespace, object, uid) {
  const base = JSON.parse(readFileSync(join(ROOT, 'test', 'admission', 'fixtures', 'pod-create.json'), 'utf8'));
  base.request.uid = uid;
  base.request.namespace = namespace;
  if (object) {
    base.request.kind = { group: '', version: 'v1', kind: object.kind };
    base.request.resource = { group: '', version: 'v1', resource: `${object.kind.toLowerCase()}s` };
    base.request.object = object;
  } else {
    base.request.object.metadata.namespace = namespace;
    base.request.object.metadata.labels = { app: 'web' };
  }
  return JSON.stringify(base);
}

const BODIES = {
  light: review('light', undefined, 'light'),
  slow: review('slow', undefined, 'slow'),
  bomb: review('bomb', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'bomb' }, data: { 'config.yaml': BILLION_LAUGHS } }, 'bomb'),
  redos: review('redos', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'redos', labels: { version: `${'a'.repeat(40)}!` } }, spec: { containers: [] } }, 'redos'),
};

const SLOW_SOURCE = 'm = option("params").m\ntotal = sum([sum([j for j in range(100)]) for i in range(m)])\nassert total >= 0\n';

/**
 * Sizes the slow policy: the largest `m` that stays within the interpreter's default step budget,
 * and a time budget (timeoutMillis) that its run fills to SLOW_SHARE — "a policy that stays
 * inside its budget".
 */
async function calibrate() {
  const { compile, toKcl } = await import(join(ROOT, 'dist', 'kcl', 'index.js'));
  const compiled = compile(SLOW_SOURCE, 'calibrate.k');
  const time = (m) => {
    const started = performance.now();
    const result = compiled.program.run({ options: { params: toKcl({ m }) }, limits: { timeoutMs: 60_000 } });
    return result.ok ? performance.now() - started : undefined;
  };
  let m = 20_000;
  while (time(m) === undefined) m = Math.floor(m * 0.8);
  const runs = [time(m), time(m), time(m)].sort((a, b) => a - b);
  return { m, timeoutMillis: Math.max(10, Math.round(runs[1] / SLOW_SHARE)), runMs: runs[1] };
}

function startServer(dir) {
  const args = [MAIN, 'serve', '--policies', dir, '--port', '0', '--log-level', 'error', '--shutdown-grace-seconds', '2'];
  if (process.env.BENCH_WORKERS) args.push('--workers', process.env.BENCH_WORKERS);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, XDG_CACHE_HOME: dir } });
    let stderr = '';
    const server = { child, died: false, output: () => stderr };
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /kclguard serving (https:\/\/\S+)/.exec(stderr);
      if (match && !server.url) resolve(Object.assign(server, { url: match[1] }));
    });
    child.on('exit', (code, signal) => {
      server.died = !server.stopping;
      if (!server.url) reject(new Error(`kclguard serve exited with ${code ?? signal}:\n${stderr}`));
    });
  });
}

// Loopback only, self-signed: this process trusts the server it just started.
const agent = new Agent({ keepAlive: true, maxSockets: 256, rejectUnauthorized: false });

function call(url, method, body) {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { method, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', (error) => resolve({ status: 0, text: String(error) }));
    req.end(body);
  });
}

/** Sends on a fixed schedule (open loop) and records latency from each scheduled time. */
async function openLoop(send, intervalMs, until) {
  const latencies = [];
  const pending = [];
  const start = performance.now();
  for (let i = 0; ; i++) {
    const scheduled = start + i * intervalMs;
    if (scheduled > until) break;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send().then((ok) => latencies.push(ok ? performance.now() - scheduled : Infinity)));
  }
  await Promise.all(pending);
  return latencies;
}

/** Back-to-back requests (closed loop) until `until`; records each answer's code and latency. */
async function backToBack(url, body, until, answers) {
  while (performance.now() < until) {
    const started = performance.now();
    const answer = await call(`${url}/validate?timeout=10s`, 'POST', body);
    answers.push({ ms: performance.now() - started, code: answerCode(answer) });
  }
}

function answerCode(answer) {
  if (answer.status !== 200) return `HTTP ${answer.status}`;
  const response = JSON.parse(answer.text).response;
  if (response.allowed) return 'allowed';
  return /\b(K9\d{3}|E\d\w\d{2})\b/.exec(response.status?.message ?? '')?.[1] ?? `denied ${response.status?.code}`;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function scenario(server, name, attack) {
  const until = performance.now() + DURATION;
  const answers = [];
  const attackers = attack ? Array.from({ length: ATTACKERS }, () => backToBack(server.url, BODIES[attack], until, answers)) : [];
  const [light, health] = await Promise.all([
    openLoop(async () => answerCode(await call(`${server.url}/validate?timeout=10s`, 'POST', BODIES.light)) === 'allowed', 1000 / LIGHT_RATE, until),
    openLoop(async () => (await call(`${server.url}/healthz`, 'GET')).status === 200, 20, until),
    ...attackers,
  ]);
  const codes = {};
  for (const a of answers) codes[a.code] = (codes[a.code] ?? 0) + 1;
  return {
    name,
    light: { p50: percentile(light, 50), p99: percentile(light, 99), failed: light.filter((l) => l === Infinity).length, n: light.length },
    health: { p50: percentile(health, 50), p99: percentile(health, 99), failed: health.filter((l) => l === Infinity).length },
    attack: attack ? { n: answers.length, codes, p50: percentile(answers.map((a) => a.ms), 50), max: Math.max(...answers.map((a) => a.ms)) } : undefined,
  };
}

const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(1) : '∞');

async function main() {
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const slow = await calibrate();
  const dir = scratchDir('kclguard-bench-isolation-');
  writeFileSync(join(dir, 'policies.json.yaml'), POLICIES(slow).map((d) => JSON.stringify(d)).join('\n---\n'));
  const server = await startServer(dir);
  try {
    // Warm up the light path and teach the pool which policy is slow.
    await scenario(server, 'warm-up', undefined);
    const results = [];
    for (const [name, attack] of [['alone', undefined], ['beside slow reviews', 'slow'], ['beside a YAML bomb stream', 'bomb'], ['beside a ReDoS stream', 'redos']]) {
      results.push(await scenario(server, name, attack));
    }
    const alone = results[0];
    console.log(`\nslow policy: m=${slow.m}, one run ${slow.runMs.toFixed(0)} ms = ~${SLOW_SHARE * 100}% of its ${slow.timeoutMillis} ms budget; light stream ${LIGHT_RATE} req/s; ${ATTACKERS} attackers back to back; ${DURATION / 1000} s per scenario`);
    console.log('| scenario | light p50 ms | light p99 ms | p99 vs alone | /healthz p50 ms | /healthz p99 ms | failed | attack answers |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      const attack = r.attack ? `${r.attack.n}: ${Object.entries(r.attack.codes).map(([c, n]) => `${c} ${n}`).join(', ')}; p50 ${fmt(r.attack.p50)} ms, max ${fmt(r.attack.max)} ms` : '—';
      console.log(`| ${r.name} | ${fmt(r.light.p50)} | ${fmt(r.light.p99)} | ${(r.light.p99 / alone.light.p99).toFixed(2)}x | ${fmt(r.health.p50)} | ${fmt(r.health.p99)} | ${r.light.failed + r.health.failed} | ${attack} |`);
    }
    console.log(`\nserver process deaths: ${server.died ? 1 : 0}`);
  } finally {
    server.stopping = true;
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  }
}

await main();
