#!/usr/bin/env node
/**
 * Admission benchmark (`npm run bench`, after `npm run build`): autocannon on loopback sends Pod
 * CREATE reviews (each connection alternates POST /mutate and POST /validate, as the API server
 * does for one object) to a `kclguard serve` child process, at 64 connections for a bounded time,
 * against: no policies, 10 policies and 50 policies from policies/ (ten named examples, five
 * mutations and five validations, the 50 being five renamed copies of each; copied into a
 * temporary directory and moved into the Pod's namespace so they all apply). Prints req/s, p50/p99
 * latency and the ratios to the no-policy run.
 *
 * The peer: the same ten policies in Rego, served by Open Policy Agent under the same load, when an
 * `opa` binary is found (OPA_BIN, then ${XDG_CACHE_HOME:-~/.cache}/kclguard/opa/bin/opa, then PATH;
 * build one with `GOBIN=~/.cache/kclguard/opa/bin go install github.com/open-policy-agent/opa@latest`).
 *
 * Environment: BENCH_DURATION (seconds per run, default 10), BENCH_CONNECTIONS (default 64),
 * BENCH_WARMUP (seconds, default 3), OPA_BIN.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import yaml from 'js-yaml';
import selfsigned from 'selfsigned';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const NAMESPACE = 'bench';

/** Five mutations and five validations, alternating; each also has a Rego twin below. */
const BENCH_POLICIES = [
  'add-created-by',
  'allowed-image-repos',
  'add-default-resources',
  'disallow-host-namespaces',
  'add-network-policy-labels',
  'disallow-latest-tag',
  'add-safe-to-evict',
  'disallow-privileged',
  'append-env',
  'horizontal-pod-auto-scaler',
];

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

/** `count` policies cycling through the examples, renamed apart and moved into the bench namespace. */
function writePolicies(dir, examples, count) {
  const docs = [];
  for (let i = 0; i < count; i++) {
    const doc = structuredClone(examples[i % examples.length]);
    const round = Math.floor(i / examples.length);
    if (round > 0) doc.metadata.name = `${doc.metadata.name}-${round + 1}`;
    if (doc.kind === 'KCLRun') doc.metadata.namespace = NAMESPACE;
    docs.push(doc);
  }
  writeFileSync(join(dir, 'policies.yaml'), docs.map((d) => yaml.dump(d, { lineWidth: -1 })).join('---\n'));
}

function startServer(policyDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--policies', policyDir, '--port', '0', '--log-level', 'error', '--shutdown-grace-seconds', '2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, XDG_CACHE_HOME: policyDir },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /kclguard serving (https:\/\/\S+)/.exec(stderr);
      if (match) resolve({ child, url: match[1], output: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`kclguard serve exited with ${code}:\n${stderr}`)));
  });
}

async function stopServer(server) {
  server.child.removeAllListeners('exit');
  const exited = new Promise((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGTERM');
  return exited;
}

async function get(url) {
  // Loopback only, self-signed: this process trusts the server it just started.
  return new Promise((resolve, reject) => {
    httpsGet(url, { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function podReview() {
  const review = JSON.parse(readFileSync(join(ROOT, 'test', 'admission', 'fixtures', 'pod-create.json'), 'utf8'));
  review.request.namespace = NAMESPACE;
  review.request.object.metadata.namespace = NAMESPACE;
  // From an allowed repository and pinned, so the validations pass as most real requests do.
  review.request.object.spec.containers[0].image = 'registry.example.com/web:1.27';
  return JSON.stringify(review);
}

const KCLGUARD_PATHS = ['/mutate?timeout=10s', '/validate?timeout=10s'];
const OPA_PATHS = ['/v0/data/kclguard/mutate/main', '/v0/data/kclguard/validate/main'];

function run(url, body, duration, paths = KCLGUARD_PATHS) {
  const headers = { 'content-type': 'application/json' };
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    requests: paths.map((path) => ({ method: 'POST', path, headers, body })),
  });
}

function policyCounts(metrics) {
  const counts = {};
  for (const match of metrics.matchAll(/^kclguard_policies\{state="(\w+)"\} (\d+)/gm)) counts[match[1]] = Number(match[2]);
  return counts;
}

async function scenario(label, examples, count, body) {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-bench-'));
  try {
    if (count > 0) writePolicies(dir, examples, count);
    const server = await startServer(dir);
    try {
      const counts = policyCounts(await get(`${server.url}/metrics`));
      const sanity = await answerSummary(server.url, body, KCLGUARD_PATHS);
      if (WARMUP > 0) await run(server.url, body, WARMUP);
      const result = await run(server.url, body, DURATION);
      const decisions = (await get(`${server.url}/metrics`))
        .split('\n')
        .filter((l) => l.startsWith('kclguard_admission_requests_total{'))
        .map((l) => l.replace('kclguard_admission_requests_total', ''));
      return { label, count, counts, result, decisions, sanity };
    } finally {
      await stopServer(server);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The OPA peer: the same ten example policies written in Rego (v1 syntax), served by
// `opa run --server` over TLS as webhook decisions (`POST /v0/data/kclguard/<phase>/main` takes
// the AdmissionReview as input and returns the AdmissionReview answer), under the same load.
// Each copy of a policy is its own package, as each KCLRun copy is its own policy.

const REGO_POLICIES = {
  'add-created-by': {
    phase: 'mutate',
    kinds: ['Deployment', 'StatefulSet', 'ConfigMap', 'Secret', 'Service'],
    operations: ['CREATE'],
    body: `
user := object.get(input.request, ["userInfo", "username"], "unknown")
sa_prefix := "system:serviceaccount:"
patch contains {"op": "add", "path": "/metadata/annotations/kclguard.dev~1created-by", "value": user} if selected
patch contains {"op": "add", "path": "/metadata/annotations/kclguard.dev~1created-by-service-account", "value": concat("/", split(trim_prefix(user, sa_prefix), ":"))} if {
  selected
  startswith(user, sa_prefix)
}`,
  },
  'allowed-image-repos': {
    phase: 'validate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job'],
    operations: ['CREATE', 'UPDATE'],
    body: `
repositories := ["registry.example.com/", "ghcr.io/example-org/"]
allowed(image) if startswith(image, repositories[_])
denied_images := [c.image | some c in containers; not allowed(c.image)]
deny contains sprintf("images %v are not from an allowed repository (%s)", [denied_images, concat(", ", repositories)]) if {
  selected
  count(denied_images) > 0
}`,
  },
  'add-default-resources': {
    phase: 'mutate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    operations: ['CREATE'],
    body: `
default_requests := {"cpu": "100m", "memory": "128Mi"}
default_limits := {"memory": "256Mi"}
patch contains op if {
  selected
  some field in ["containers", "initContainers"]
  some i, c in object.get(pod_spec, field, [])
  resources := object.get(c, "resources", {})
  requests := object.get(resources, "requests", {})
  limits := object.get(resources, "limits", {})
  add_requests := {k: v | some k, v in default_requests; not requests[k]}
  add_limits := {k: v | some k, v in default_limits; not limits[k]}
  count(add_requests) + count(add_limits) > 0
  new := object.union(resources, {"requests": object.union(requests, add_requests), "limits": object.union(limits, add_limits)})
  op := {"op": "add", "path": sprintf("%s/%s/%d/resources", [pod_path, field, i]), "value": new}
}`,
  },
  'disallow-host-namespaces': {
    phase: 'validate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job'],
    operations: ['CREATE', 'UPDATE'],
    body: `
shared := [f | some f in ["hostNetwork", "hostPID", "hostIPC"]; pod_spec[f] == true]
host_ports := [sprintf("%s:%v", [c.name, p.hostPort]) | some c in object.get(pod_spec, "containers", []); some p in object.get(c, "ports", []); p.hostPort]
deny contains sprintf("%s %s must not set %s", [input.request.object.kind, input.request.object.metadata.name, concat(" or ", shared)]) if {
  selected
  count(shared) > 0
}
deny contains sprintf("%s %s must not use hostPort (%s)", [input.request.object.kind, input.request.object.metadata.name, concat(", ", host_ports)]) if {
  selected
  count(host_ports) > 0
}`,
  },
  'add-network-policy-labels': {
    phase: 'mutate',
    kinds: ['Pod', 'Deployment', 'StatefulSet'],
    operations: ['CREATE', 'UPDATE'],
    body: `
zone_label := "network.example.com/zone"
zones := {"frontend": "dmz", "database": "restricted"}
labels := object.get(input.request.object, ["metadata", "labels"], {})
zone := object.get(zones, object.get(labels, "app.kubernetes.io/component", ""), "internal")
patch contains {"op": "add", "path": "/metadata/labels/network.example.com~1zone", "value": zone} if {
  selected
  not labels[zone_label]
}
patch contains {"op": "add", "path": "/metadata/labels/network.example.com~1namespace", "value": input.request.namespace} if selected`,
  },
  'disallow-latest-tag': {
    phase: 'validate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    operations: ['CREATE', 'UPDATE'],
    body: `
tag(image) := t if {
  parts := split(image, "/")
  name := parts[count(parts) - 1]
  contains(name, ":")
  segments := split(name, ":")
  t := segments[count(segments) - 1]
} else := ""
pinned(image) if contains(image, "@")
pinned(image) if not tag(image) in {"", "latest"}
unpinned := [sprintf("%s (%s)", [c.name, c.image]) | some c in containers; not pinned(c.image)]
deny contains sprintf("%s %s: images must use a tag other than latest: %s", [input.request.object.kind, input.request.object.metadata.name, concat(", ", unpinned)]) if {
  selected
  count(unpinned) > 0
}`,
  },
  'add-safe-to-evict': {
    phase: 'mutate',
    kinds: ['Pod'],
    operations: ['CREATE'],
    body: `
annotation := "cluster-autoscaler.kubernetes.io/safe-to-evict"
local_storage if {
  some v in object.get(input.request.object, ["spec", "volumes"], [])
  v.emptyDir
}
local_storage if {
  some v in object.get(input.request.object, ["spec", "volumes"], [])
  v.hostPath
}
patch contains {"op": "add", "path": "/metadata/annotations/cluster-autoscaler.kubernetes.io~1safe-to-evict", "value": "true"} if {
  selected
  not object.get(input.request.object, ["metadata", "annotations", annotation], false)
  local_storage
}`,
  },
  'disallow-privileged': {
    phase: 'validate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    operations: ['CREATE', 'UPDATE'],
    body: `
violations := array.concat(
  [sprintf("%s is privileged", [c.name]) | some c in containers; object.get(c, ["securityContext", "privileged"], false) == true],
  [sprintf("%s allows privilege escalation", [c.name]) | some c in containers; object.get(c, ["securityContext", "allowPrivilegeEscalation"], false) == true]
)
deny contains sprintf("%s %s: %s", [input.request.object.kind, input.request.object.metadata.name, concat(", ", violations)]) if {
  selected
  count(violations) > 0
}`,
  },
  'append-env': {
    phase: 'mutate',
    kinds: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet'],
    operations: ['CREATE', 'UPDATE'],
    body: `
env := [{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"}, {"name": "CLUSTER_NAME", "value": "prod-eu-1"}]
patch contains op if {
  selected
  some field in ["containers", "initContainers"]
  some i, c in object.get(pod_spec, field, [])
  existing := object.get(c, "env", [])
  defined := {e.name | some e in existing}
  missing := [e | some e in env; not e.name in defined]
  count(missing) > 0
  op := {"op": "add", "path": sprintf("%s/%s/%d/env", [pod_path, field, i]), "value": array.concat(existing, missing)}
}`,
  },
  'horizontal-pod-auto-scaler': {
    phase: 'validate',
    kinds: ['HorizontalPodAutoscaler'],
    operations: ['CREATE', 'UPDATE'],
    body: `
spec := input.request.object.spec
min_replicas := object.get(spec, "minReplicas", 1)
deny contains sprintf("minReplicas (%v) must be between 1 and maxReplicas (%v)", [min_replicas, spec.maxReplicas]) if {
  selected
  not min_replicas <= spec.maxReplicas
}
deny contains sprintf("maxReplicas %v exceeds the ceiling of 50", [spec.maxReplicas]) if {
  selected
  spec.maxReplicas > 50
}
deny contains sprintf("only Deployments and StatefulSets may be autoscaled, not %s", [spec.scaleTargetRef.kind]) if {
  selected
  not spec.scaleTargetRef.kind in {"Deployment", "StatefulSet"}
}`,
  },
};

/** Where the pod spec is, for each kind (what the KCL policies' _pod_spec lambdas do). */
const REGO_COMMON = `
pod_path := "/spec" if {
  input.request.object.kind == "Pod"
} else := "/spec/jobTemplate/spec/template/spec" if {
  input.request.object.kind == "CronJob"
} else := "/spec/template/spec"
pod_spec := object.get(input.request.object, split(trim_prefix(pod_path, "/"), "/"), {})
containers := array.concat(array.concat(object.get(pod_spec, "initContainers", []), object.get(pod_spec, "containers", [])), object.get(pod_spec, "ephemeralContainers", []))
`;

function regoPackage(pkg, name, def) {
  return `package kclguard.policies.${pkg}

import rego.v1

# ${name} (${def.phase}), as the KCLRun in policies/${name}/policy.yaml
selected if {
  input.request.namespace == "${NAMESPACE}"
  input.request.kind.kind in ${JSON.stringify(def.kinds)}
  input.request.operation in ${JSON.stringify(def.operations)}
}
${REGO_COMMON}${def.body}
`;
}

const REGO_MAIN = `package kclguard.mutate

import rego.v1

patches := [op | some op in data.kclguard.policies[_].patch]

response := {"uid": input.request.uid, "allowed": true, "patchType": "JSONPatch", "patch": base64.encode(json.marshal(patches))} if {
  count(patches) > 0
} else := {"uid": input.request.uid, "allowed": true}

main := {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
`;

const REGO_VALIDATE = `package kclguard.validate

import rego.v1

denials := sort([msg | some msg in data.kclguard.policies[_].deny])

response := {"uid": input.request.uid, "allowed": false, "status": {"code": 403, "message": concat("; ", denials)}} if {
  count(denials) > 0
} else := {"uid": input.request.uid, "allowed": true}

main := {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
`;

function opaBinary() {
  const candidates = [
    process.env.OPA_BIN,
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kclguard', 'opa', 'bin', 'opa'),
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'opa')),
  ];
  return candidates.find((path) => path && existsSync(path));
}

function writeRego(dir, count) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'mutate.rego'), REGO_MAIN);
  writeFileSync(join(dir, 'validate.rego'), REGO_VALIDATE);
  const names = BENCH_POLICIES.filter((name) => existsSync(join(ROOT, 'policies', name, 'policy.yaml')));
  for (let i = 0; i < count; i++) {
    const name = names[i % names.length];
    const round = Math.floor(i / names.length);
    const pkg = `${name.replaceAll('-', '_')}${round > 0 ? `_${round + 1}` : ''}`;
    writeFileSync(join(dir, `${pkg}.rego`), regoPackage(pkg, name, REGO_POLICIES[name]));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startOpa(opa, dir) {
  const pems = selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
  writeFileSync(join(dir, 'tls.crt'), pems.cert);
  writeFileSync(join(dir, 'tls.key'), pems.private);
  const port = await freePort();
  const child = spawn(
    opa,
    ['run', '--server', '--addr', `127.0.0.1:${port}`, '--tls-cert-file', join(dir, 'tls.crt'), '--tls-private-key-file', join(dir, 'tls.key'), '--log-level', 'error', join(dir, 'rego')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const url = `https://127.0.0.1:${port}`;
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`opa exited with ${child.exitCode}:\n${stderr}`);
    try {
      await get(`${url}/health`);
      return { child, url, output: () => stderr };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGTERM');
  throw new Error(`opa did not become healthy:\n${stderr}`);
}

/** One /mutate and one /validate answer, summarised, so the two servers' decisions can be compared. */
async function answerSummary(url, body, paths) {
  const post = (path) =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(`${url}${path}`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      req.end(body);
    });
  const mutate = await post(paths[0]);
  const validate = await post(paths[1]);
  // Both answer with the AdmissionReview itself (OPA's v0 data API does not wrap it in "result").
  const patch = mutate.response?.patch ? JSON.parse(Buffer.from(mutate.response.patch, 'base64').toString('utf8')) : [];
  return `mutate allowed=${mutate.response?.allowed} with ${patch.length} patch operations; validate allowed=${validate.response?.allowed}`;
}

async function opaScenario(opa, label, count, body) {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-bench-opa-'));
  try {
    writeRego(join(dir, 'rego'), count);
    const check = spawnSync(opa, ['check', join(dir, 'rego')], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`opa check failed:\n${check.stdout}${check.stderr}`);
    const server = await startOpa(opa, dir);
    try {
      const sanity = await answerSummary(server.url, body, OPA_PATHS);
      if (WARMUP > 0) await run(server.url, body, WARMUP, OPA_PATHS);
      const result = await run(server.url, body, DURATION, OPA_PATHS);
      return { label, count, result, sanity };
    } finally {
      await stopServer(server);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(n, digits = 1) {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

async function main() {
  if (!existsSync(MAIN)) {
    console.error('dist/main.js not found: run `npm run build` first (npm run bench does)');
    return 2;
  }
  const examples = examplePolicies();
  if (examples.length === 0) {
    console.error('no example policies found under policies/');
    return 2;
  }
  const body = podReview();
  console.log(`kclguard admission benchmark: ${CONNECTIONS} connections, ${DURATION}s per run (+${WARMUP}s warm-up), Pod CREATE, /mutate + /validate`);
  console.log(`node ${process.version}, ${examples.length} example policies available`);
  const rows = [];
  for (const [label, count] of [['no policies', 0], ['10 policies', 10], ['50 policies', 50]]) {
    const row = await scenario(label, examples, count, body);
    rows.push(row);
    const r = row.result;
    console.log(
      `  ${label}: loaded ${JSON.stringify(row.counts)}; ${row.sanity}; ${r.requests.total} requests, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
    );
    for (const d of row.decisions) console.log(`    ${d}`);
  }
  const base = rows[0].result;
  console.log('');
  console.log('scenario      req/s      p50 ms  p99 ms  req/s vs none  p99 vs none');
  for (const { label, result } of rows) {
    console.log(
      `${label.padEnd(13)} ${fmt(result.requests.average, 0).padStart(8)}  ${fmt(result.latency.p50).padStart(6)}  ${fmt(result.latency.p99).padStart(6)}  ${fmt(result.requests.average / base.requests.average, 2).padStart(13)}  ${fmt(result.latency.p99 / base.latency.p99, 2).padStart(11)}`,
    );
  }
  const ten = rows[1].result;
  console.log('');
  console.log(`goal p99 < 5 ms with 10 policies: ${ten.latency.p99 < 5 ? 'met' : 'NOT met'} (${fmt(ten.latency.p99)} ms)`);
  console.log(
    `goal 10-policy throughput >= 50% of no-policy: ${ten.requests.average >= 0.5 * base.requests.average ? 'met' : 'NOT met'} (${fmt((100 * ten.requests.average) / base.requests.average, 0)}%)`,
  );

  const opa = opaBinary();
  if (!opa) {
    console.log('OPA peer: no opa binary found (set OPA_BIN or build one, see the top of this script); skipped');
    return 0;
  }
  const version = spawnSync(opa, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  console.log('');
  console.log(`OPA peer (${version}), same ${rows.length > 1 ? 'requests and load' : 'load'}:`);
  const peers = [];
  for (const row of rows) {
    const peer = await opaScenario(opa, row.label, row.count, body);
    peers.push(peer);
    console.log(`  ${peer.label}: ${peer.sanity}; ${peer.result.requests.total} requests, ${peer.result.non2xx} non-2xx, ${peer.result.errors} errors`);
  }
  console.log('');
  console.log('scenario      OPA req/s  OPA p50  OPA p99  kclguard/OPA req/s  kclguard/OPA p99');
  for (let i = 0; i < rows.length; i++) {
    const k = rows[i].result;
    const o = peers[i].result;
    console.log(
      `${rows[i].label.padEnd(13)} ${fmt(o.requests.average, 0).padStart(9)}  ${fmt(o.latency.p50).padStart(7)}  ${fmt(o.latency.p99).padStart(7)}  ${fmt(k.requests.average / o.requests.average, 2).padStart(18)}  ${fmt(k.latency.p99 / o.latency.p99, 2).padStart(16)}`,
    );
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`bench-admission: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
