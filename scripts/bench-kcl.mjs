#!/usr/bin/env node
/**
 * KCL interpreter benchmark (`npm run bench:kcl`, after `npm run build`): compiles a mutation
 * policy (set-annotations) and a validation policy (disallow-latest-tag) from policies/ once,
 * then evaluates each on a realistic Pod with the options the engine passes (items, params,
 * resource_list, request). Per evaluation: options into KCL, run, exports back to JSON — what
 * the engine pays per policy. Prints µs per evaluation.
 *
 * In the same run, the reference KCL (PyPI kcl-lib, via scripts/install-kcl-reference.sh) runs the
 * same programs with the same options: a Python process loops over `exec_program` and times the
 * loop itself, so process start-up is excluded. Also measured: one `exec_program` per fresh
 * Python process (the `kcl run`-style path a per-request CLI call would take), timed from here.
 *
 * Packages: a KCL package of the Kubernetes schemas (~700 files, generated from the OpenAPI spec of
 * the k8s.io/kubernetes Go module by scripts/gen-k8s-kcl-package.mjs, in memory) is compiled the
 * way policies importing it are: cold (parse + plan of every module a policy imports, and of the
 * whole package), warm (another policy importing the same modules: the shared module cache), the
 * heap each costs, the heap per additional importing policy, and one evaluation that builds a
 * Deployment through the package's schemas.
 *
 * Environment: BENCH_KCL_ITERATIONS (default 10000), BENCH_KCL_REFERENCE_ITERATIONS (default 300),
 * BENCH_KCL_CLI_RUNS (default 5), KCL_REFERENCE_PYTHON (skip the install script),
 * BENCH_KCL_PACKAGE_POLICIES (default 100; policies sharing the package for the per-policy heap).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import yaml from 'js-yaml';
import { findSwagger, generateK8sPackage } from './gen-k8s-kcl-package.mjs';
import { scratchDir } from './bench/processes.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ITERATIONS = Number(process.env.BENCH_KCL_ITERATIONS ?? 10_000);
const REFERENCE_ITERATIONS = Number(process.env.BENCH_KCL_REFERENCE_ITERATIONS ?? 300);
const CLI_RUNS = Number(process.env.BENCH_KCL_CLI_RUNS ?? 5);
const WARMUP = 2_000;
const GOAL_MICROS = 50;
const GOAL_RATIO = 20;

const POLICIES = [
  { name: 'set-annotations', role: 'mutation' },
  { name: 'disallow-latest-tag', role: 'validation' },
];
const POD_FILE = join('policies', 'add-safe-to-evict', 'resources', 'pod-empty-dir.yaml');
const PACKAGE_POLICIES = Number(process.env.BENCH_KCL_PACKAGE_POLICIES ?? 100);

/** A Deployment built through the package's schemas: what a policy importing k8s typically does. */
const DEPLOYMENT_POLICY = `import k8s.api.apps.v1 as apps
import k8s.api.core.v1 as core

_name = option("params")?.name or "web"
deployment = apps.Deployment {
    metadata.name = _name
    spec = {
        selector.matchLabels.app = _name
        template = {
            metadata.labels.app = _name
            spec.containers = [core.Container {name = "app", image = "nginx:1.27", ports = [{containerPort = 80}]}]
        }
    }
}
`;

function loadPolicy(name) {
  const docs = yaml.loadAll(readFileSync(join(ROOT, 'policies', name, 'policy.yaml'), 'utf8'));
  const manifest = docs.find((d) => d && /^(Cluster)?KCLRun$/.test(d.kind));
  if (!manifest) throw new Error(`policies/${name}/policy.yaml holds no KCLRun`);
  return manifest;
}

/** The option() values, shaped as the engine builds them (src/engine/run-policy.ts programOptions). */
function optionsFor(manifest, pod) {
  const items = [pod];
  return {
    items,
    params: manifest.spec.params ?? null,
    resource_list: { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items, functionConfig: manifest },
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: pod.metadata.namespace,
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts'] },
      dryRun: false,
    },
  };
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim() || String(cpus().length);
  return `nproc ${nproc}, CPU ${model}, node ${process.version}`;
}

function timeLoop(fn, iterations) {
  for (let i = 0; i < Math.min(WARMUP, iterations); i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

function ours(kcl, manifest, options) {
  const compiled = kcl.compile(manifest.spec.source, `${manifest.metadata.name}.k`);
  if (!compiled.ok) throw new Error(`${manifest.metadata.name} does not compile: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  const { program } = compiled;
  const evaluate = () => {
    const kclOptions = {};
    for (const [name, value] of Object.entries(options)) kclOptions[name] = kcl.toKcl(value);
    const result = program.run({ options: kclOptions });
    if (!result.ok) throw new Error(`${manifest.metadata.name} failed: ${result.diagnostic.code} ${result.diagnostic.message}`);
    const exports = {};
    for (const [name, value] of result.exports) exports[name] = kcl.toPlain(value, { showHidden: true });
    return exports;
  };
  const output = evaluate();
  return { micros: timeLoop(evaluate, ITERATIONS), output };
}

/** Python side: exec_program in a loop, timed inside Python (perf_counter), start-up excluded. */
const REFERENCE_LOOP = `
import json, sys, time
import kcl_lib.api as api
spec = json.load(sys.stdin)
client = api.API()
out = {}
for case in spec["cases"]:
    args = api.ExecProgramArgs(
        k_filename_list=[case["file"]],
        args=[api.Argument(name=k, value=json.dumps(v)) for k, v in case["options"].items()],
        show_hidden=True,
    )
    first = client.exec_program(args)
    if first.err_message:
        raise SystemExit(first.err_message)
    for _ in range(min(20, spec["iterations"])):
        client.exec_program(args)
    started = time.perf_counter()
    for _ in range(spec["iterations"]):
        client.exec_program(args)
    out[case["name"]] = {"micros": (time.perf_counter() - started) * 1e6 / spec["iterations"], "json": first.json_result}
print(json.dumps(out))
`;

const REFERENCE_ONCE = `
import json, sys
import kcl_lib.api as api
case = json.load(sys.stdin)
args = api.ExecProgramArgs(
    k_filename_list=[case["file"]],
    args=[api.Argument(name=k, value=json.dumps(v)) for k, v in case["options"].items()],
    show_hidden=True,
)
r = api.API().exec_program(args)
if r.err_message:
    raise SystemExit(r.err_message)
print(r.json_result)
`;

function referencePython() {
  if (process.env.KCL_REFERENCE_PYTHON) return process.env.KCL_REFERENCE_PYTHON;
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'install-kcl-reference.sh')], { encoding: 'utf8' });
  if (install.status !== 0) return undefined;
  return install.stdout.trim().split('\n').pop();
}

function reference(python, cases) {
  const run = spawnSync(python, ['-c', REFERENCE_LOOP], {
    input: JSON.stringify({ iterations: REFERENCE_ITERATIONS, cases }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`reference KCL failed:\n${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout);
}

/** One fresh Python process per evaluation, timed from here: interpreter start, import, one run. */
function referenceCli(python, testCase) {
  const input = JSON.stringify(testCase);
  const once = () => {
    const run = spawnSync(python, ['-c', REFERENCE_ONCE], { input, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`reference KCL failed:\n${run.stderr}`);
  };
  once();
  const started = process.hrtime.bigint();
  for (let i = 0; i < CLI_RUNS; i++) once();
  return Number(process.hrtime.bigint() - started) / 1000 / CLI_RUNS;
}

/** A gc() to call between heap readings (node exposes it only behind a flag). */
function collector() {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
}

function heapMiB(gc) {
  gc();
  gc();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

function timed(fn) {
  const started = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

function compiled(result, what) {
  if (!result.ok) throw new Error(`${what} does not compile: ${result.diagnostics.map((d) => `${d.span?.file}:${d.span?.line} ${d.message}`).join('; ')}`);
  return result.program;
}

/** Cold and warm compile times and heap of policies importing the Kubernetes package. */
function packageBench(kcl) {
  const found = findSwagger();
  if (found.error) {
    console.log(`packages: skipped, no Kubernetes OpenAPI spec (${found.error})`);
    return;
  }
  const generated = generateK8sPackage(JSON.parse(readFileSync(found.path, 'utf8')), found.version);
  const files = {};
  let bytes = 0;
  for (const [path, text] of generated) {
    files[`/k8s/${path}`] = text;
    bytes += Buffer.byteLength(text);
  }
  const modules = [...new Set([...generated.keys()].filter((p) => p.endsWith('.k')).map((p) => p.slice(0, p.lastIndexOf('/'))))].sort();
  const importAll = `${modules.map((m, i) => `import k8s.${m.replaceAll('/', '.')} as m${i}`).join('\n')}\nn = ${modules.length}\n`;
  const policyFiles = { '/p/deploy/main.k': DEPLOYMENT_POLICY, '/p/all/main.k': importAll };
  for (let i = 0; i < PACKAGE_POLICIES; i++) policyFiles[`/p/copy${i}/main.k`] = `${DEPLOYMENT_POLICY}copy = ${i}\n`;
  const loader = kcl.memoryLoader({ ...files, ...policyFiles });
  const options = { externalPackages: { k8s: '/k8s' } };
  const gc = collector();

  console.log('');
  console.log(`packages: Kubernetes ${found.version} schemas as a KCL package: ${generated.size} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB, ${modules.length} modules`);
  kcl.clearModuleCache();
  let before = heapMiB(gc);
  const cold = timed(() => compiled(kcl.compilePackage('/p/deploy', loader, options), 'the Deployment policy'));
  const coldHeap = heapMiB(gc) - before;
  const coldStats = kcl.moduleCacheStats();
  const warm = timed(() => compiled(kcl.compilePackage('/p/copy0', loader, options), 'a second policy'));
  before = heapMiB(gc);
  const all = timed(() => compiled(kcl.compilePackage('/p/all', loader, options), 'the import-everything policy'));
  const allHeap = heapMiB(gc) - before;
  const allStats = kcl.moduleCacheStats();
  kcl.clearModuleCache();
  const allCold = timed(() => compiled(kcl.compilePackage('/p/all', loader, options), 'the import-everything policy'));
  before = heapMiB(gc);
  const programs = [];
  const many = timed(() => {
    for (let i = 0; i < PACKAGE_POLICIES; i++) programs.push(compiled(kcl.compilePackage(`/p/copy${i}`, loader, options), `policy copy${i}`));
  });
  const perPolicyHeap = ((heapMiB(gc) - before) * 1024) / PACKAGE_POLICIES;
  const program = cold.value;
  const runOptions = { params: kcl.toKcl({ name: 'web' }) };
  const evaluate = () => {
    const r = program.run({ options: runOptions });
    if (!r.ok) throw new Error(`the Deployment policy failed: ${r.diagnostic.message}`);
    return r;
  };
  const micros = timeLoop(evaluate, Math.max(1, Math.floor(ITERATIONS / 10)));

  console.log('measure                                               value');
  console.log(`cold compile, policy importing apps/v1 + core/v1      ${fmt(cold.ms)} ms, +${fmt(coldHeap)} MiB heap, ${coldStats.parsedFiles} files parsed, ${coldStats.modules} modules planned`);
  console.log(`warm compile, another policy importing the same       ${fmt(warm.ms, 2)} ms (shared modules: cache hits)`);
  console.log(`compile importing every module (after the above)      ${fmt(all.ms)} ms, +${fmt(allHeap)} MiB heap, ${allStats.parsedFiles} files parsed in all`);
  console.log(`cold compile importing every module                   ${fmt(allCold.ms)} ms`);
  console.log(`${PACKAGE_POLICIES} more policies importing apps/v1 + core/v1       ${fmt(many.ms / PACKAGE_POLICIES, 2)} ms and ${fmt(perPolicyHeap)} KiB heap per policy`);
  console.log(`one evaluation building a Deployment via the package  ${fmt(micros)} µs`);
  programs.length = 0;
}

function fmt(n, digits = 1) {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** Exports as the reference prints them (JSON, hidden top-level variables left out). */
function sameOutput(ourExports, referenceJson) {
  const visible = Object.fromEntries(Object.entries(ourExports).filter(([k]) => !k.startsWith('_')));
  try {
    return JSON.stringify(visible) === JSON.stringify(JSON.parse(referenceJson));
  } catch {
    return false;
  }
}

async function main() {
  let kcl;
  try {
    kcl = await import(join(ROOT, 'dist', 'kcl', 'index.js'));
  } catch (error) {
    console.error(`dist/kcl/index.js could not be loaded (${error.message}): run \`npm run build\` first (npm run bench:kcl does)`);
    return 2;
  }
  const pod = yaml.load(readFileSync(join(ROOT, POD_FILE), 'utf8'));
  console.log(`kclguard KCL benchmark: ${ITERATIONS} evaluations per policy after ${WARMUP} warm-up; reference ${REFERENCE_ITERATIONS} per policy`);
  console.log(`machine: ${machine()}`);
  console.log(`input: ${POD_FILE} (Pod), options items/params/resource_list/request as the engine passes them`);

  const dir = scratchDir('kclguard-bench-kcl-');
  try {
    const cases = [];
    const rows = [];
    for (const { name, role } of POLICIES) {
      const manifest = loadPolicy(name);
      const options = optionsFor(manifest, pod);
      const file = join(dir, `${name}.k`);
      writeFileSync(file, manifest.spec.source);
      cases.push({ name, file, options });
      rows.push({ name, role, ...ours(kcl, manifest, options) });
    }

    const python = referencePython();
    const referenceResults = python ? reference(python, cases) : undefined;
    const cli = python && CLI_RUNS > 0 ? referenceCli(python, cases[0]) : undefined;

    console.log('');
    console.log('policy                role        kclguard µs/eval  reference µs/eval  reference/kclguard  same output');
    for (const row of rows) {
      const ref = referenceResults?.[row.name];
      console.log(
        `${row.name.padEnd(21)} ${row.role.padEnd(10)}  ${fmt(row.micros).padStart(16)}  ${fmt(ref?.micros).padStart(17)}  ${fmt(ref ? ref.micros / row.micros : NaN).padStart(17)}x  ${ref ? (sameOutput(row.output, ref.json) ? 'yes' : 'NO') : '-'}`,
      );
    }
    if (!python) console.log('reference KCL: not available (scripts/install-kcl-reference.sh failed); ratios skipped');
    if (cli !== undefined) {
      console.log('');
      console.log(
        `reference, one process per evaluation (${cases[0].name}, python start + import + exec_program): ${fmt(cli / 1000, 1)} ms per invocation = ${fmt(cli / rows[0].micros, 0)}x kclguard`,
      );
    }
    console.log('');
    const slowest = Math.max(...rows.map((r) => r.micros));
    console.log(`goal < ${GOAL_MICROS} µs per typical evaluation: ${slowest < GOAL_MICROS ? 'met' : 'NOT met'} (slowest ${fmt(slowest)} µs)`);
    if (referenceResults) {
      const worst = Math.min(...rows.map((r) => referenceResults[r.name].micros / r.micros));
      console.log(`goal >= ${GOAL_RATIO}x faster than the reference per evaluation: ${worst >= GOAL_RATIO ? 'met' : 'NOT met'} (lowest ${fmt(worst)}x)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  packageBench(kcl);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`bench-kcl: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
