/**
 * Runs KCL programs with the built library (`npm test` builds before jest) in a child node
 * process: one that runs out of heap, or runs far too long, ends that process, not the test run.
 * Budgets are out of the way (a clock that never moves, `maxSteps` as given), so nothing but the
 * checks under test may end a run.
 */
import { spawnSync } from 'node:child_process';

export interface ChildRun {
  /** The diagnostic's code, 'ok', or the compile error's code. */
  readonly code: string;
  /** How long the run took (0 when it did not compile). */
  readonly ms: number;
}

export function runInChild(programs: readonly string[], options: { readonly heapMb?: number; readonly maxSteps?: number; readonly timeoutMs?: number } = {}): ChildRun[] {
  const library = new URL('../../dist/kcl/index.js', import.meta.url).href;
  const limits = `{ clock: () => 0${options.maxSteps !== undefined ? `, maxSteps: ${options.maxSteps}` : ''} }`;
  const script = `
    const { compile } = await import(${JSON.stringify(library)});
    const programs = JSON.parse(process.argv[1]);
    console.log(JSON.stringify(programs.map((source) => {
      const compiled = compile(source, 'main.k');
      if (!compiled.ok) return { code: compiled.diagnostics[0].code, ms: 0 };
      const start = performance.now();
      const result = compiled.program.run({ limits: ${limits} });
      return { code: result.ok ? 'ok' : result.diagnostic.code, ms: performance.now() - start };
    })));`;
  const nodeArgs = options.heapMb !== undefined ? [`--max-old-space-size=${options.heapMb}`] : [];
  const child = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script, JSON.stringify(programs)], {
    encoding: 'utf8',
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });
  if (child.status !== 0) {
    const why = child.stderr.split('\n').find((line) => line.includes('heap')) ?? child.stderr.slice(0, 300);
    throw new Error(`the program run ended with ${child.signal ?? `exit ${child.status}`}: ${why}`);
  }
  return JSON.parse(child.stdout) as ChildRun[];
}
