/**
 * A policy worker: compiles the policy generations the pool sends and runs jobs on them, one
 * message at a time, writing its progress slot so the pool can stop a policy that overruns. The
 * pool terminates and replaces a worker that overruns or exceeds its heap cap; nothing here has
 * to survive that. A message that cannot be handled is answered `failed`, never thrown.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InProcessExecutor } from '../in-process-executor.js';
import { deepFreeze } from '../schema.js';
import { kclCompiler } from '../kcl-compiler.js';
import type { PolicyCompiler } from '../policy-compiler.js';
import { progressWriter } from './progress.js';
import { scheduleThisThread } from './thread-scheduling.js';
import { workerLookupClient } from './lookup-bridge.js';
import { decodeJob, type FromWorker, type ToWorker, type WorkerConfig } from './protocol.js';

const config = workerData as WorkerConfig;
const port = parentPort!;

async function loadCompiler(): Promise<PolicyCompiler> {
  if (!config.compilerModule) return kclCompiler;
  return ((await import(config.compilerModule)) as { compiler: PolicyCompiler }).compiler;
}

const progress = progressWriter(config.progress, config.epoch);
const executor = new InProcessExecutor({
  compiler: await loadCompiler(),
  progress,
  compileBudgetMs: config.compileBudgetMs,
  ...(config.lookups ? { lookupClient: workerLookupClient(config.lookups) } : {}),
});

function post(message: FromWorker): void {
  port.postMessage(message);
}

function handle(message: ToWorker): void {
  if (message.type === 'run' && message.waiting && !progress.claim(message.id)) {
    post({ type: 'revoked', id: message.id });
    return;
  }
  if ('id' in message) progress.task(message.id);
  switch (message.type) {
    case 'prepare':
      // A structured clone is not frozen; frozen definitions let each policy's params and
      // manifest cross into KCL once instead of on every request (shared-conversion.ts).
      for (const policy of message.policies) deepFreeze(policy.definition);
      executor.prepareNow(message.generation, message.policies);
      post({ type: 'prepared', id: message.id, generation: message.generation });
      return;
    case 'compile':
      post({ type: 'compiled', id: message.id, outcomes: message.policies.map((policy, index) => executor.compileNow(policy, index)) });
      return;
    case 'run':
      post({ type: 'ran', id: message.id, report: JSON.stringify(executor.runNow(decodeJob(message.job, message.reviewText))) });
      return;
    case 'release':
      executor.release(message.generation);
      return;
  }
}

port.on('message', (message: ToWorker) => {
  try {
    handle(message);
  } catch (error) {
    const id = 'id' in message ? message.id : -1;
    post({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) });
  }
});
const schedulingFailure = await scheduleThisThread(config.scheduling ?? 'normal');
post(schedulingFailure === undefined ? { type: 'ready' } : { type: 'ready', schedulingFailure });
