/**
 * The dispatcher (src/main.ts) as a user runs it: the built CLI in a child process (`npm test`
 * builds before jest). Load failures and bugs are made in a copy of dist/ with one command file
 * removed or replaced, so the real installation is never touched.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliErrorCode, type Captured } from './cli-harness.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let broken: string;

function kclguard(main: string, argv: string[], env: Record<string, string> = {}): Captured {
  const child = spawnSync(process.execPath, [main, ...argv], { encoding: 'utf8', env: { ...process.env, KCLGUARD_DEBUG: '', ...env } });
  return { code: child.status ?? -1, out: child.stdout, err: child.stderr };
}

const built = (argv: string[]) => kclguard(join(ROOT, 'dist', 'main.js'), argv);

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run npm run build first (npm test does)');
  // A copy of the build where `run` cannot be loaded and `check` is a bug waiting to happen.
  broken = mkdtempSync(join(tmpdir(), 'kclguard-main-'));
  cpSync(join(ROOT, 'dist'), join(broken, 'dist'), { recursive: true });
  writeFileSync(join(broken, 'package.json'), '{"type": "module"}\n');
  rmSync(join(broken, 'dist', 'cli', 'run.js'));
  writeFileSync(join(broken, 'dist', 'cli', 'check.js'), "export async function main() { throw new TypeError('a bug'); }\n");
});

afterAll(() => {
  rmSync(broken, { recursive: true, force: true });
});

describe('kclguard (the dispatcher)', () => {
  test('--help lists the commands on stdout, exit 0', () => {
    const r = built(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}serve /m);
  });

  test('no command and an unknown command: one coded line, then the commands, exit 2', () => {
    expect(cliErrorCode(built([]), undefined)).toBe('C1002');
    const unknown = built(['frobnicate']);
    expect(cliErrorCode(unknown, undefined)).toBe('C1001');
    expect(unknown.err).toMatch(/^ {2}serve /m);
  });

  test('a command that cannot be loaded names the command and the cause, exit 70', () => {
    const r = kclguard(join(broken, 'dist', 'main.js'), ['run', 'x.k']);
    expect(cliErrorCode(r, undefined)).toBe('C7001');
    expect(r.err).toContain("'run'");
  });

  test('a bug is one coded line, with the stack only under KCLGUARD_DEBUG', () => {
    const quiet = kclguard(join(broken, 'dist', 'main.js'), ['check']);
    expect(cliErrorCode(quiet, undefined)).toBe('C7002');
    const debug = kclguard(join(broken, 'dist', 'main.js'), ['check'], { KCLGUARD_DEBUG: '1' });
    expect(debug.code).toBe(70);
    expect(debug.err).toMatch(/\n\s+at /);
  });
});
