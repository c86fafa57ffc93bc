#!/usr/bin/env node
/**
 * End-to-end admission benchmark through a real kube-apiserver (`npm run bench:e2e`, after
 * `npm run build`), the way the Kyverno project publishes its numbers: N concurrent clients (10
 * and 50) each creating Pods through the API server, one fresh Pod per request, for a bounded
 * time; p50/p95/p99 latency and throughput per scenario, with the ratios to the no-webhook
 * baseline and between the peers. Each scenario runs in a control plane of its own
 * (scripts/control-plane/cluster.sh, as test/e2e uses it; started for it, about 5 s), one after
 * the other, and checks first that its admission path is in force (a Pod that breaks the Pod
 * Security Standards is refused, the benchmark's Pod admitted):
 *
 *   baseline   no admission policy at all
 *   vap        the in-tree ValidatingAdmissionPolicy: the same 18 checks as CEL expressions, in the
 *              API server (no network hop)
 *   kclguard   `kclguard serve` in cluster mode out of cluster, registering its webhooks, with the
 *              Pod Security Standards pack (policies/pod-security) as ClusterKCLRuns
 *   kclguard-narrowed  the same with `--webhook-mode narrowed` (webhook configurations narrowed
 *              to what the policies select); skipped when this build has no such flag
 *   floor      a webhook that allows everything (scripts/bench/allow-all-webhook.mjs), registered as
 *              OPA is: what calling any webhook costs through this API server, the least a
 *              webhook's p99 can be here
 *   opa        Open Policy Agent as a validating webhook, the same checks in Rego
 *   kyverno    Kyverno's admission controller out of cluster with its own PSS rule (podSecurity
 *              restricted); skipped with the reason when it does not build or start
 *
 * The Pods pass every check (what most requests look like): the time measured is the time to
 * admit. The baseline and kclguard also run a load of ConfigMaps at the largest client count:
 * writes that no policy selects, whose added latency a narrowed registration should bring to 0. The control plane runs no scheduler or kubelet, so the Pods stay Pending, each in a
 * namespace of its run.
 *
 * Rounds: the same path differs by 20-70% between two runs on a 2-core machine (the API server,
 * etcd, the clients and the webhook share the cores). With BENCH_E2E_ROUNDS=N every scenario runs
 * N times, the scenario order reversed every other round so that a drift of the machine does
 * not favour one; the tables show each figure's median over the rounds, and each
 * goal is called met or not met only when every round agrees (else "not established"). Before
 * and after the runs the bench prints the machine's own stalls (scripts/bench/stalls.mjs), which
 * the load average cannot show.
 *
 * Environment: BENCH_E2E_DURATION (seconds per run, 30), BENCH_E2E_WARMUP (5),
 * BENCH_E2E_CLIENTS (10,50), BENCH_E2E_ROUNDS (1), BENCH_E2E_SCENARIOS (a subset of
 * baseline,vap,floor,kclguard,kclguard-narrowed,opa,kyverno),
 * BENCH_E2E_JSON (a file for every round's figures), BENCH_WORKERS (kclguard serve --workers), BENCH_KCLGUARD_ARGS (more serve flags, space-separated),
 * BENCH_KCLGUARD_NODE_ARGS (flags for its node, e.g. `--cpu-prof --cpu-prof-dir=DIR`),
 * BENCH_KCLGUARD_LOG_LEVEL (default error) and BENCH_KCLGUARD_LOG (a file for its output), OPA_BIN, KUBECTL.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, clusterDown, clusterUp, findKubectl, validatingWebhook } from './bench/cluster.mjs';
import { KYVERNO_NAMESPACE, kyvernoBuild, kyvernoCrdFiles, kyvernoPolicy, startKyverno } from './bench/kyverno.mjs';
import { closedLoop, fmt, freePort, loopbackAgent, median, percentiles, send, table } from './bench/load.mjs';
import { runCommand, startProcess, scratchDir } from './bench/processes.mjs';
import { celPolicyManifests, compliantPod, packCases, packPolicies, violatingPod } from './bench/pss.mjs';
import { writeRego } from './bench/rego-examples.mjs';
import { machineStalls } from './bench/stalls.mjs';
import { acceptedConnections, processCpu } from './bench/thread-cpu.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const DURATION = Number(process.env.BENCH_E2E_DURATION ?? 30);
const WARMUP = Number(process.env.BENCH_E2E_WARMUP ?? 5);
const CLIENTS = (process.env.BENCH_E2E_CLIENTS ?? '10,50').split(',').map(Number).filter((n) => n > 0);
const ROUNDS = Math.max(1, Number(process.env.BENCH_E2E_ROUNDS ?? 1));
const WANTED = (process.env.BENCH_E2E_SCENARIOS ?? 'baseline,vap,floor,kclguard,kclguard-narrowed,opa,kyverno').split(',');
const SANITY_NS = 'bench-sanity';

/**
 * kclguard in cluster mode with the PSS pack. `needsFlag`: a `serve` flag this build must have
 * (a mode that landed later); without it the scenario is skipped with the reason.
 */
function kclguardScenario(id, label, extraArgs, needsFlag) {
  return {
    id,
    label,
    refuses: true,
    unselected: true,
    async setUp(cluster) {
      if (needsFlag && !(await serveHelp()).includes(`--${needsFlag}`)) return { skip: `this kclguard has no --${needsFlag} flag` };
      await cluster.kubectl(['apply', '--server-side', '-f', join(ROOT, 'charts', 'kclguard', 'crds')]);
      await cluster.kubectl(['wait', '--for=condition=Established', 'crd/clusterkclruns.krm.kcl.dev', 'crd/kclruns.krm.kcl.dev', '--timeout=60s']);
      const policies = packPolicies(ROOT);
      await cluster.apply(policies);
      await cluster.namespace('kclguard-bench');
      const port = await freePort();
      const url = `https://127.0.0.1:${port}`;
      const args = [
        ...(process.env.BENCH_KCLGUARD_NODE_ARGS ? process.env.BENCH_KCLGUARD_NODE_ARGS.split(' ') : []),
        MAIN, 'serve', '--kubeconfig', cluster.vars.KUBECONFIG, '--host', '127.0.0.1', '--port', String(port),
        '--cert', cluster.vars.KCLGUARD_E2E_WEBHOOK_CERT, '--key', cluster.vars.KCLGUARD_E2E_WEBHOOK_KEY,
        '--register-webhooks', '--webhook-url', url, '--webhook-name', 'kclguard-bench', '--ca-bundle', cluster.vars.KCLGUARD_E2E_CA_CERT,
        // Narrowed mode takes Fail or Ignore from each policy's failureAction (the pack aborts: Fail).
        ...(extraArgs.includes('--webhook-mode') ? [] : ['--failure-policy', 'Fail']),
        '--namespace', 'kclguard-bench', '--pod-name', 'kclguard-bench',
        // Admission only, as the peers run here (Kyverno without its background controller): a
        // background audit of the tens of thousands of Pods the runs create would share the CPU.
        '--audit-interval-seconds', '0',
        '--shutdown-grace-seconds', '2', '--shutdown-delay-seconds', '0', '--log-level', process.env.BENCH_KCLGUARD_LOG_LEVEL ?? 'error',
        ...(process.env.BENCH_WORKERS ? ['--workers', process.env.BENCH_WORKERS] : []),
        ...(process.env.BENCH_KCLGUARD_ARGS ? process.env.BENCH_KCLGUARD_ARGS.split(' ') : []),
        ...extraArgs,
      ];
      const server = await startProcess(process.execPath, args, {
        env: { ...process.env, NODE_OPTIONS: '' },
        name: 'kclguard serve',
        ...(process.env.BENCH_KCLGUARD_LOG ? { logFile: process.env.BENCH_KCLGUARD_LOG } : {}),
        ready: (output) => output.includes('ValidatingWebhookConfiguration kclguard-bench') || /kclguard serving/.test(output),
      });
      cluster.webhookPid = server.pid;
      return async () => {
        console.log(`  inside kclguard (its own kclguard_admission_duration_seconds): ${await ownLatency(url)}`);
        await server.stop();
        await cluster.kubectl(['delete', 'mutatingwebhookconfiguration,validatingwebhookconfiguration', 'kclguard-bench', '--ignore-not-found']);
        await cluster.delete(policies);
      };
    },
  };
}

let help;
async function serveHelp() {
  help ??= (await runCommand(process.execPath, [MAIN, 'serve', '--help'])).stdout;
  return help;
}

/** Each scenario: `setUp(cluster, work)` puts its admission path in force and returns `tearDown`. */
const SCENARIOS = [
  { id: 'baseline', label: 'no webhook (baseline)', refuses: false, unselected: true, setUp: async () => async () => {} },
  {
    id: 'vap',
    label: 'ValidatingAdmissionPolicy (CEL)',
    refuses: true,
    async setUp(cluster) {
      const docs = celPolicyManifests('bench-pod-security');
      await cluster.apply(docs);
      return () => cluster.delete(docs);
    },
  },
  kclguardScenario('kclguard', 'kclguard (PSS pack)', []),
  kclguardScenario('kclguard-narrowed', 'kclguard, narrowed webhooks', ['--webhook-mode', 'narrowed'], 'webhook-mode'),
  {
    id: 'opa',
    label: 'OPA webhook (Rego)',
    refuses: true,
    async setUp(cluster, work) {
      const opa = await opaBinary();
      if (!opa.bin) return { skip: opa.error };
      const dir = join(work, 'opa');
      writeRego(join(dir, 'rego'), { pss: true, root: ROOT });
      const port = await freePort();
      const server = await startProcess(
        opa.bin,
        ['run', '--server', '--addr', `127.0.0.1:${port}`, '--tls-cert-file', cluster.vars.KCLGUARD_E2E_WEBHOOK_CERT, '--tls-private-key-file', cluster.vars.KCLGUARD_E2E_WEBHOOK_KEY, '--log-level', 'error', join(dir, 'rego')],
        { name: 'opa', ready: () => true },
      );
      const webhook = validatingWebhook('bench-opa', `https://127.0.0.1:${port}/v0/data/kclguard/validate/main`, cluster.ca);
      await cluster.apply([webhook]);
      cluster.webhookPid = server.pid;
      return async () => {
        await cluster.delete([webhook]);
        await server.stop();
      };
    },
  },
  {
    id: 'floor',
    label: 'allow-all webhook (the floor)',
    refuses: false,
    async setUp(cluster) {
      const port = await freePort();
      const url = `https://127.0.0.1:${port}`;
      const server = await startProcess(
        process.execPath,
        [join(ROOT, 'scripts', 'bench', 'allow-all-webhook.mjs'), String(port), cluster.vars.KCLGUARD_E2E_WEBHOOK_CERT, cluster.vars.KCLGUARD_E2E_WEBHOOK_KEY],
        { env: { ...process.env, NODE_OPTIONS: '' }, name: 'allow-all webhook', ready: (output) => output.includes('listening') },
      );
      const webhook = validatingWebhook('bench-allow-all', url, cluster.ca);
      await cluster.apply([webhook]);
      cluster.webhookPid = server.pid;
      // It admits everything, so only its count of reviews can show that the API server calls it.
      const reviews = async () => Number((await send(loopbackAgent({ maxSockets: 1 }), `${url}/count`, { method: 'GET' })).text);
      await eventually(async () => (await cluster.admits(compliantPod(SANITY_NS, 'reaches-floor'))) && (await reviews()) > 0, 60_000);
      return async () => {
        await cluster.delete([webhook]);
        await server.stop();
      };
    },
  },
  {
    id: 'kyverno',
    label: 'Kyverno (podSecurity restricted)',
    refuses: true,
    async setUp(cluster, work) {
      const build = await kyvernoBuild(ROOT);
      if (build.error) return { skip: build.error };
      for (const file of kyvernoCrdFiles(build.moduleDir)) await cluster.kubectl(['apply', '--server-side', '-f', file]);
      await cluster.namespace(KYVERNO_NAMESPACE);
      const port = await freePort();
      let server;
      try {
        server = await startKyverno({ bin: build.bin, kubeconfig: cluster.vars.KUBECONFIG, port, dir: join(work, 'kyverno') });
      } catch (error) {
        return { skip: `Kyverno did not start: ${String(error).slice(0, 2000)}` };
      }
      cluster.webhookPid = server.pid;
      const policy = kyvernoPolicy();
      const tearDown = async () => {
        await cluster.delete([policy]).catch(() => {});
        await server.stop();
        await cluster.kubectl(['delete', 'mutatingwebhookconfiguration,validatingwebhookconfiguration', '-l', 'webhook.kyverno.io/managed-by=kyverno', '--ignore-not-found']);
      };
      try {
        // The ClusterPolicy is accepted once Kyverno's own policy-validation webhook answers.
        await eventually(() => cluster.apply([policy]).then(() => true, () => false), 180_000);
      } catch (error) {
        const output = server.output();
        await tearDown();
        return { skip: `Kyverno started but never accepted its ClusterPolicy (${String(error)}); its last output:\n${output.slice(-3000)}` };
      }
      return tearDown;
    },
  },
].filter((s) => WANTED.includes(s.id));

/**
 * The mean time kclguard itself spent per review of each webhook, from its metrics: what the API
 * server's latency adds to it is the network hop, TLS and the API server's own webhook client.
 */
async function ownLatency(url) {
  const { status, text } = await send(loopbackAgent({ maxSockets: 1 }), `${url}/metrics`, { method: 'GET' });
  if (status !== 200) return `metrics answered ${status}`;
  const value = (name, webhook) => Number(new RegExp(`^${name}\\{webhook="${webhook}"\\} (\\S+)`, 'm').exec(text)?.[1]);
  return ['mutate', 'validate']
    .map((webhook) => {
      const count = value('kclguard_admission_duration_seconds_count', webhook);
      const sum = value('kclguard_admission_duration_seconds_sum', webhook);
      return `${webhook} ${count > 0 ? `${fmt((1000 * sum) / count, 2)} ms mean over ${count}` : 'no reviews'}`;
    })
    .join(', ');
}

async function eventually(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function opaBinary() {
  if (process.env.OPA_BIN) return { bin: process.env.OPA_BIN };
  const built = await runCommand(join(ROOT, 'scripts', 'bench-tools', 'build.sh'), ['opa']);
  return built.code === 0 ? { bin: built.stdout.trim() } : { error: `scripts/bench-tools/build.sh opa failed: ${built.stderr.trim().split('\n').pop()}` };
}

/**
 * The Pods of the pack's test cases that one control refuses (so the whole pack must refuse them)
 * and that the API server itself accepts when nothing is in force (the baseline decides: some
 * cases are Pods its own validation refuses, e.g. a HostProcess Pod that is not a Windows Pod).
 */
let refusedCases;
async function podCases(cluster) {
  if (!refusedCases) {
    refusedCases = [];
    for (const c of packCases(ROOT).filter((c) => !c.admitted && c.object.kind === 'Pod' && c.operation === 'CREATE')) {
      const object = { ...c.object, metadata: { ...c.object.metadata, namespace: SANITY_NS } };
      if (await cluster.admits(object)) refusedCases.push({ ...c, object });
    }
  }
  return refusedCases;
}

/**
 * The scenario refuses every such Pod: a peer that skips a control is caught instead of measured
 * (the benchmark's own Pod, admitted by every control, checks the other direction).
 */
async function checkPackCases(cluster, scenario) {
  const cases = await podCases(cluster);
  const admitted = [];
  for (const c of cases) if (await cluster.admits(c.object)) admitted.push(c.id);
  if (admitted.length > 0) throw new Error(`${scenario.label} admits Pods that the PSS pack's tests refuse:\n${admitted.join('\n')}`);
  console.log(`  refuses all ${cases.length} Pods that a control of the PSS pack refuses in its tests`);
}

/** What the loads create: Pods (every policy selects them) or ConfigMaps (no policy selects them). */
const OBJECTS = {
  pods: (ns, name) => compliantPod(ns, name),
  configmaps: (ns, name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { app: 'bench' } }, data: { 'app.properties': 'mode=bench\n' } }),
};

/** One run: `clients` closed loops creating fresh objects in a namespace of their own. */
async function load(cluster, scenario, clients, resource) {
  const ns = `bench-${scenario.id}-${clients}${resource === 'pods' ? '' : `-${resource}`}`;
  await cluster.namespace(ns);
  const path = `/api/v1/namespaces/${ns}/${resource}`;
  let failures = 0;
  let lastFailure = '';
  const run = (phase, seconds) =>
    closedLoop({
      clients,
      seconds,
      next: async (c, n) => {
        const answer = await cluster.create(path, OBJECTS[resource](ns, `${phase}-${c}-${n}`));
        if (answer.status === 201) return true;
        failures++;
        lastFailure = `${answer.status} ${answer.text.slice(0, 300)}`;
        return false;
      },
    });
  if (WARMUP > 0) await run('w', WARMUP);
  failures = 0;
  const before = cpuReading(cluster);
  const started = performance.now();
  const measured = await run('m', DURATION);
  const cpu = cpuPerObject(before, cpuReading(cluster), measured.answered, (performance.now() - started) / 1000);
  return { clients, resource, throughput: measured.throughput, answered: measured.answered, failed: failures, lastFailure, ...percentiles(measured.latencies, [50, 95, 99]), ...cpu };
}

/** The processes whose CPU an object's creation is split over; the webhook's when one is in force. */
const CPU_PARTS = [
  ['apiServerUs', 'API server'],
  ['etcdUs', 'etcd'],
  ['webhookUs', 'webhook'],
  ['clientsUs', 'clients (this bench)'],
];

/** CPU µs so far of each process of CPU_PARTS (the control plane's from the PID files cluster.sh writes). */
function cpuReading(cluster) {
  const daemon = (name) => {
    try {
      return processCpu(Number(readFileSync(join(cluster.vars.KCLGUARD_E2E_DIR, `${name}.pid`), 'utf8').trim()));
    } catch {
      return undefined;
    }
  };
  return {
    apiServerUs: daemon('kube-apiserver'),
    etcdUs: daemon('etcd'),
    webhookUs: cluster.webhookPid ? processCpu(cluster.webhookPid) : 0,
    clientsUs: processCpu(process.pid),
    accepted: acceptedConnections(),
  };
}

/**
 * CPU µs per object created of each process and in all, between two readings. With every core
 * busy, an admission path's cost per object is what it adds to this total, wherever it runs:
 * `cores` is how many cores the run kept busy. Nothing when a process could not be read.
 */
function cpuPerObject(before, after, objects, seconds) {
  if (objects <= 0 || CPU_PARTS.some(([field]) => before[field] === undefined || after[field] === undefined)) return {};
  const split = Object.fromEntries(CPU_PARTS.map(([field]) => [field, (after[field] - before[field]) / objects]));
  const totalUs = CPU_PARTS.reduce((sum, [field]) => sum + split[field], 0);
  const connections = before.accepted !== undefined && after.accepted !== undefined ? (after.accepted - before.accepted) / objects : undefined;
  return { ...split, totalUs, cores: (totalUs * objects) / 1e6 / seconds, ...(connections !== undefined ? { connections } : {}) };
}

/**
 * Runs `use` in a control plane of its own, started for it (about 5 s) and stopped after. One per
 * scenario: every scenario starts on an empty store, and the objects of the runs before it (tens
 * of thousands each, which no controller deletes here) neither slow it nor grow the API server:
 * in one control plane for all, two and a half rounds grew it to 23.5 GB. Deleting them between
 * scenarios took longer than a new control plane (about 400 objects a second).
 */
async function inFreshControlPlane(kubectl, use) {
  const vars = await clusterUp(ROOT);
  const cluster = new Cluster(vars, kubectl);
  try {
    await cluster.namespace(SANITY_NS);
    if (!refusedCases) console.log(`${(await podCases(cluster)).length} refused Pod cases of the PSS pack's tests are valid Pods for the API server`);
    return await use(cluster);
  } finally {
    cluster.agent.destroy();
    await clusterDown(ROOT, vars.KCLGUARD_E2E_DIR);
  }
}

async function runScenario(cluster, scenario, work) {
  const tearDown = await scenario.setUp(cluster, work);
  if (tearDown && typeof tearDown === 'object' && tearDown.skip) return { scenario, skipped: tearDown.skip };
  try {
    // The path is in force (and only it): the breaking Pod is refused, the benchmark's Pod admitted.
    await cluster.until(violatingPod(SANITY_NS, 'breaks-pss'), !scenario.refuses);
    await cluster.until(compliantPod(SANITY_NS, 'passes-pss'), true);
    if (scenario.refuses) await checkPackCases(cluster, scenario);
    const runs = [];
    const loads = CLIENTS.map((clients) => [clients, 'pods']);
    // Writes that no policy selects (ConfigMaps): what a webhook costs the rest of the cluster.
    if (scenario.unselected) loads.push([Math.max(...CLIENTS), 'configmaps']);
    for (const [clients, resource] of loads) {
      const result = await load(cluster, scenario, clients, resource);
      console.log(`  ${scenario.label}, ${clients} clients: ${result.answered} ${resource} created, ${result.failed} failed${result.failed ? ` (last: ${result.lastFailure})` : ''}; p99 ${fmt(result.p99)} ms`);
      runs.push(result);
    }
    return { scenario, runs };
  } finally {
    await tearDown();
  }
}

/** kclguard's added p99 over the VAP's, or why there is no such ratio (the VAP added nothing measurable). */
function addedRatio(k, v, base) {
  return v.p99 > base.p99 ? fmt((k.p99 - base.p99) / (v.p99 - base.p99), 2) : `- (the VAP's p99 was not above the baseline's)`;
}

/** A lookup of one scenario's run in a set of results. */
function finder(results) {
  const measured = results.filter((r) => r.runs);
  return (id, clients, resource = 'pods') => measured.find((r) => r.scenario.id === id)?.runs.find((run) => run.clients === clients && run.resource === resource);
}

/** The issue's goals at 50 clients for static and narrowed kclguard: { label, met, value } each. */
function goals(find) {
  const out = [];
  const [base, o, v, floor] = ['baseline', 'opa', 'vap', 'floor'].map((id) => find(id, 50));
  // Not a goal: whether any webhook can meet the first one on this machine.
  if (base && floor) out.push({ reference: true, label: 'an allow-all webhook (the floor) p99 within 1.3x of the baseline', met: floor.p99 <= 1.3 * base.p99, value: `${fmt(floor.p99 / base.p99, 2)}x` });
  for (const [id, name] of [['kclguard', 'kclguard'], ['kclguard-narrowed', 'kclguard narrowed']]) {
    const k = find(id, 50);
    if (!k) continue;
    if (base) out.push({ label: `${name} p99 within 1.3x of the baseline`, met: k.p99 <= 1.3 * base.p99, value: `${fmt(k.p99 / base.p99, 2)}x` });
    if (o) out.push({ label: `${name} p99 below OPA's`, met: k.p99 < o.p99, value: `${fmt(k.p99 / o.p99, 2)}x OPA's` });
    if (base && v) {
      const measurable = v.p99 > base.p99;
      const ratio = (k.p99 - base.p99) / (v.p99 - base.p99);
      out.push({
        label: `${name}'s added p99 within 2x of the ValidatingAdmissionPolicy's`,
        met: measurable ? ratio <= 2 : undefined,
        value: measurable ? `${fmt(ratio, 2)}x` : 'not measurable (the VAP added no p99 over the baseline)',
      });
    }
  }
  return out;
}

function report(results, title = `${DURATION}s per run`) {
  const measured = results.filter((r) => r.runs);
  const find = finder(results);
  console.log(`\nPods created through the API server, ${title}, latency in ms:`);
  const rows = [];
  for (const clients of CLIENTS) {
    const base = find('baseline', clients);
    for (const { scenario } of measured) {
      const r = find(scenario.id, clients);
      rows.push([
        scenario.label, clients, fmt(r.throughput, 0), fmt(r.p50), fmt(r.p95), fmt(r.p99), r.failed,
        base ? fmt(r.p99 / base.p99, 2) : '-', base ? fmt(r.p99 - base.p99) : '-', base ? fmt(r.throughput / base.throughput, 2) : '-',
      ]);
    }
  }
  console.log(table(['scenario', 'clients', 'Pods/s', 'p50', 'p95', 'p99', 'failed', 'p99 vs baseline', 'added p99', 'Pods/s vs baseline'], rows));
  const most = Math.max(...CLIENTS);
  const baseCm = find('baseline', most, 'configmaps');
  const cmRows = measured.map(({ scenario }) => [scenario, find(scenario.id, most, 'configmaps')]).filter(([, r]) => r);
  if (cmRows.length > 0) {
    console.log(`\nConfigMaps (no policy selects them) through the API server, ${most} clients, latency in ms:`);
    console.log(
      table(
        ['scenario', 'ConfigMaps/s', 'p50', 'p95', 'p99', 'failed', 'added p99'],
        cmRows.map(([scenario, r]) => [scenario.label, fmt(r.throughput, 0), fmt(r.p50), fmt(r.p95), fmt(r.p99), r.failed, baseCm ? fmt(r.p99 - baseCm.p99) : '-']),
      ),
    );
  }
  reportCpu(measured, find);
  for (const { scenario, skipped } of results.filter((r) => r.skipped)) console.log(`\n${scenario.label}: skipped: ${skipped}`);
  for (const clients of CLIENTS) {
    const base = find('baseline', clients);
    const k = find('kclguard', clients);
    const o = find('opa', clients);
    const v = find('vap', clients);
    const y = find('kyverno', clients);
    const parts = [];
    if (k && o) parts.push(`kclguard/OPA p99 ${fmt(k.p99 / o.p99, 2)}, Pods/s ${fmt(k.throughput / o.throughput, 2)}`);
    if (k && y) parts.push(`kclguard/Kyverno p99 ${fmt(k.p99 / y.p99, 2)}, Pods/s ${fmt(k.throughput / y.throughput, 2)}`);
    if (k && v && base) parts.push(`kclguard added p99 / VAP added p99 ${addedRatio(k, v, base)}`);
    if (parts.length > 0) console.log(`\n${clients} clients: ${parts.join('; ')}`);
  }
}

/**
 * Where each object's CPU went, by process, and what the admission path added to the baseline's
 * total: with both cores busy, a closed loop's latency follows that total.
 */
function reportCpu(measured, find) {
  const rows = [];
  for (const { scenario, runs } of measured) {
    for (const r of runs.filter((run) => run.totalUs !== undefined)) {
      const base = find('baseline', r.clients, r.resource);
      rows.push([
        scenario.label, r.clients, r.resource, ...CPU_PARTS.map(([field]) => fmt(r[field], 0)), fmt(r.totalUs, 0),
        base?.totalUs !== undefined ? fmt(r.totalUs - base.totalUs, 0) : '-', fmt(r.cores, 2), r.connections !== undefined ? fmt(r.connections, 3) : '-',
      ]);
    }
  }
  if (rows.length === 0) return;
  console.log('\nCPU per object created, µs, by process (/proc/<pid>/stat over the measured run), and TCP connections accepted per object (/proc/net/snmp: the API server opening new ones to the webhook):');
  console.log(table(['scenario', 'clients', 'objects', ...CPU_PARTS.map(([, label]) => label), 'total', 'added to the baseline', 'cores busy', 'new connections'], rows));
}

/** One set of results whose every figure is the median of that figure over the rounds. */
function medians(rounds) {
  return rounds[0].map(({ scenario, runs, skipped }) => {
    if (!runs) return { scenario, skipped };
    const same = (run) => rounds.map((results) => results.find((r) => r.scenario.id === scenario.id)?.runs?.find((x) => x.clients === run.clients && x.resource === run.resource)).filter(Boolean);
    return {
      scenario,
      runs: runs.map((run) => {
        const all = same(run);
        const of = (field) => median(all.map((x) => x[field]));
        const cpu = all.every((x) => x.totalUs !== undefined) ? Object.fromEntries([...CPU_PARTS.map(([field]) => field), 'totalUs', 'cores'].map((field) => [field, of(field)])) : {};
        if (all.every((x) => x.connections !== undefined)) cpu.connections = of('connections');
        return { clients: run.clients, resource: run.resource, throughput: of('throughput'), p50: of('p50'), p95: of('p95'), p99: of('p99'), failed: all.reduce((n, x) => n + x.failed, 0), ...cpu };
      }),
    };
  });
}

function reportGoals(rounds) {
  const perRound = rounds.map((results) => goals(finder(results)));
  if (perRound[0].length === 0) return;
  console.log('');
  perRound[0].forEach(({ label, reference }, i) => {
    const each = perRound.map((g) => g[i]);
    const verdict = each.some((g) => g.met === undefined) ? 'not measurable' : each.every((g) => g.met) ? 'met' : each.every((g) => !g.met) ? 'NOT met' : 'not established (the rounds disagree)';
    console.log(`${reference ? 'reference' : 'goal'} at 50 clients, ${label}: ${verdict} (${each.map((g) => g.value).join(' / ')})`);
  });
}

async function main() {
  const work = scratchDir('kclguard-bench-e2e-');
  console.log(`kclguard end-to-end benchmark: ${CLIENTS.join(' and ')} clients, ${DURATION}s per run (+${WARMUP}s warm-up), scenarios ${SCENARIOS.map((s) => s.id).join(', ')}`);
  console.log(`node ${process.version}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`the machine's own stalls before (scripts/bench/stalls.mjs): ${(await machineStalls()).text}`);
  const kubectl = await findKubectl(ROOT);
  try {
    const rounds = [];
    for (let round = 1; round <= ROUNDS; round++) {
      if (ROUNDS > 1) console.log(`round ${round} of ${ROUNDS}:`);
      const results = [];
      // Every other round in reverse order, so that a drift favours no scenario.
      for (const scenario of round % 2 === 1 ? SCENARIOS : [...SCENARIOS].reverse()) {
        console.log(`${scenario.label}:`);
        const result = await inFreshControlPlane(kubectl, (cluster) => runScenario(cluster, scenario, work));
        if (result.skipped) console.log(`  skipped: ${result.skipped.split('\n')[0]}`);
        results.push(result);
      }
      results.sort((a, b) => SCENARIOS.indexOf(a.scenario) - SCENARIOS.indexOf(b.scenario));
      rounds.push(results);
      if (ROUNDS > 1) report(results, `round ${round}`);
    }
    report(ROUNDS > 1 ? medians(rounds) : rounds[0], ROUNDS > 1 ? `median of ${ROUNDS} rounds of ${DURATION}s` : `${DURATION}s per run`);
    reportGoals(rounds);
    if (process.env.BENCH_E2E_JSON) writeFileSync(process.env.BENCH_E2E_JSON, JSON.stringify(rounds.map((results) => results.map(({ scenario, runs, skipped }) => ({ scenario: scenario.id, runs, skipped }))), null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`the machine's own stalls after: ${(await machineStalls()).text}`);
  return 0;
}

if (!existsSync(MAIN)) {
  console.error('dist/main.js not found: run `npm run build` first (npm run bench:e2e does)');
  process.exit(2);
}
main().then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(`bench-e2e: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
