/**
 * The interpreter's allocation budget stops a memory bomb before the worker's heap cap does:
 * real worker threads with the pool's resource limits (the default 128 MiB heap), real KCL, and
 * hostile text in the admitted object. Each policy must fail with K9004 *from the interpreter*
 * (no worker stopped for memory), then the same worker runs the next policy. Assertions are
 * about outcomes and events, never elapsed time.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { programFilename } from '../compiled-policy.js';
import type { ExecutablePolicy, RunJob } from '../executor.js';
import { parsePolicy } from '../schema.js';
import { kclRun, pod, request } from '../testing/fixtures.js';
import { WorkerPool } from './worker-pool.js';

const pools: WorkerPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

function policy(name: string, source: string): ExecutablePolicy {
  // A generous time budget: what must stop these policies is the allocation budget, not the clock.
  const parsed = parsePolicy(kclRun(name, 'team-a', { source, mode: 'Validate', timeoutMillis: 10_000 }));
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return { definition: parsed.policy, filename: programFilename(parsed.policy.identity) };
}

/** One review whose Pod carries the hostile text in an annotation. */
function job(policies: readonly ExecutablePolicy[], text: string): RunJob {
  const object = pod('web', 'team-a', { annotations: { s: text } });
  return { generation: 1, request: request({ object }), policies: policies.map((p) => ({ key: p.definition.identity.key, carry: false })) };
}

const READ = '_s = option("items")[0].metadata.annotations.s\n';

describe('memory bombs in the admitted object end as K9004, not as a killed worker', () => {
  it.each([
    // 1.8 MB of text: 600,000 empty dicts filled the heap (ERR_WORKER_OUT_OF_MEMORY) before.
    ['json.decode of 600,000 empty dicts', `import json\n${READ}n = len(json.decode(_s))`, '[' + '{},'.repeat(599_999) + '{}]'],
    // 1.2 MB: js-yaml's tree and the KCL values together filled it.
    ['yaml.decode of 400,000 empty mappings', `import yaml\n${READ}n = len(yaml.decode(_s))`, '[' + '{},'.repeat(399_999) + '{}]'],
    // 900 KB: the program's own dicts, one per character, were charged 16 bytes each (about
    // 250 MB of heap; 600 KB was at the cap's edge, killing the worker in some runs only).
    ['a comprehension making a dict per character', `${READ}n = len([{} for c in _s])`, 'x'.repeat(900_000)],
    // 1 MB: a record with a list of groups per match, before anything was counted.
    ['regex.findall of 500,000 matches with two groups', `import regex\n${READ}n = len(regex.findall(_s, r"(\\w)(\\w)"))`, 'ab'.repeat(500_000)],
  ])('%s', async (_what, source, text) => {
    const stops: string[] = [];
    const pool = new WorkerPool({ size: 1, observer: { onWorkerStopped: (cause) => stops.push(cause) } });
    pools.push(pool);
    const bomb = policy('bomb', source);
    const after = policy('after', 'assert True');
    await pool.prepare(1, [bomb, after]);
    const report = await pool.run(job([bomb, after], text));
    expect(report.runs[0]!.outcome).toMatchObject({ kind: 'failed', code: 'K9004' });
    expect(report.runs[1]!.outcome.kind).toBe('unchanged');
    // The pool's heap-cap failure is K9004 too: only the absence of a stop tells them apart.
    expect(stops).toEqual([]);
  });
});
