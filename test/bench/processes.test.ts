/**
 * The benches' temporary directories (scripts/bench/processes.mjs, scratchDir) are removed when a
 * bench exits, normally and on Ctrl-C, where the benches' own `finally` blocks do not run.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROCESSES = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'bench', 'processes.mjs')).href;

/** Runs a small bench that makes a scratch directory, prints it, then waits (or ends); resolves with it and the exit. */
function bench(waits: boolean, signal?: NodeJS.Signals): Promise<{ dir: string; code: number | null; existedWhileRunning: boolean }> {
  const script = `
    const { scratchDir } = await import(${JSON.stringify(PROCESSES)});
    const dir = scratchDir('kclguard-scratch-test-');
    console.log(dir);
    ${waits ? 'await new Promise((resolve) => setTimeout(resolve, 60_000));' : ''}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let existedWhileRunning = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n') && signal) {
        existedWhileRunning = existsSync(out.trim());
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ dir: out.trim(), code, existedWhileRunning }));
  });
}

describe('bench scratch directories', () => {
  test('are removed on Ctrl-C (SIGINT), and the bench exits with 130', async () => {
    const { dir, code, existedWhileRunning } = await bench(true, 'SIGINT');
    expect(dir).toContain('kclguard-scratch-test-');
    expect(existedWhileRunning).toBe(true);
    expect(code).toBe(130);
    expect(existsSync(dir)).toBe(false);
  });

  test('are removed when the bench ends normally', async () => {
    const { dir, code } = await bench(false);
    expect(dir).toContain('kclguard-scratch-test-');
    expect(code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });
});
