#!/usr/bin/env node
/**
 * CPU time per review of the engine alone: no TLS, no HTTP, no JSON body reading — the engine's
 * AdmissionHandler (what the transport calls after decoding) called in this process on the
 * bench's reviews, alternating the mutate and validate phases as the API server does. Run by
 * bench-admission.mjs as a child process per configuration, so the worker threads of one run
 * never outlive it and no run warms the next.
 *
 *   node scripts/bench/engine-cpu.mjs POLICY_DIR REVIEW_FILE REVIEWS WORKERS
 *
 * WORKERS 0 runs the policies in process (InProcessExecutor, one review at a time); N > 0 runs
 * them in a WorkerPool of N threads with 2N reviews in flight. Prints one JSON line: CPU µs per
 * review (user + system of the whole process, every thread included: process.cpuUsage), wall µs
 * per review, and the first answers of each phase, to check that the policies acted.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [policyDir, reviewFile, reviewsArg, workersArg] = process.argv.slice(2);
const REVIEWS = Number(reviewsArg);
const WORKERS = Number(workersArg);
const PHASES = ['mutate', 'validate'];

const engine = await import(join(ROOT, 'dist', 'engine', 'index.js'));
const { toEngineRequest } = await import(join(ROOT, 'dist', 'admission', 'index.js'));

const body = readFileSync(reviewFile, 'utf8');
const review = JSON.parse(body);
const executor = WORKERS > 0 ? new engine.WorkerPool({ size: WORKERS }) : undefined;
const local = await engine.createLocalEngine({ dir: policyDir, watch: false, ...(executor ? { executor } : {}) });

const call = (i) => local.handler(toEngineRequest(review.request, PHASES[i % 2], Date.now() + 10_000, body));

function summary(decision) {
  const ran = decision.outcomes.filter((o) => ['mutated', 'passed', 'violated', 'failed'].includes(o.result)).length;
  return { allowed: decision.allowed, patchOps: decision.patch.length, policiesRun: ran, ...(decision.denial ? { denial: decision.denial.kind } : {}) };
}

async function drive(count) {
  if (!executor) {
    for (let i = 0; i < count; i++) await call(i);
    return;
  }
  let next = 0;
  const lane = async () => {
    while (next < count) await call(next++);
  };
  await Promise.all(Array.from({ length: 2 * WORKERS }, lane));
}

try {
  const answers = { mutate: summary(await call(0)), validate: summary(await call(1)) };
  await drive(Math.max(200, Math.floor(REVIEWS / 5))); // warm-up: JIT, caches, every worker
  const cpu = process.cpuUsage();
  const started = performance.now();
  await drive(REVIEWS);
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({ reviews: REVIEWS, workers: WORKERS, cpuUsPerReview: (used.user + used.system) / REVIEWS, wallUsPerReview: (wall * 1000) / REVIEWS, answers })}\n`,
  );
} finally {
  await local.close?.();
  await executor?.close();
}
