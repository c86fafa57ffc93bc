/** The worker of handoff.mjs: spends `workUs` of CPU on each job and answers with REPORT. */
import { parentPort, workerData } from 'node:worker_threads';
import { attachRings, REPORT } from './handoff-ring.mjs';

const { transport, workUs, shared } = workerData;

function work() {
  const until = performance.now() + workUs / 1000;
  while (performance.now() < until);
}

if (transport === 'message') {
  parentPort.on('message', ({ id, job }) => {
    if (job.length === 0) throw new Error('empty job');
    work();
    parentPort.postMessage({ id, report: REPORT });
  });
  parentPort.postMessage('ready');
} else {
  const rings = attachRings(shared);
  parentPort.postMessage('ready');
  // Blocks this thread's event loop for good: the main thread ends it with terminate().
  for (let done = 0; ; ) {
    const written = Atomics.load(rings.counters, rings.TO_WORKER);
    if (written === done) {
      Atomics.wait(rings.counters, rings.TO_WORKER, done);
      continue;
    }
    for (; done < written; done++) {
      if (rings.toWorker.read(done).length === 0) throw new Error('empty job');
      work();
      rings.fromWorker.write(done, REPORT);
      Atomics.store(rings.counters, rings.FROM_WORKER, done + 1);
      Atomics.notify(rings.counters, rings.FROM_WORKER);
    }
  }
}
