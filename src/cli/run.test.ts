import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture as captureOutput } from '../../test/cli/cli-harness.js';
import { main } from './run.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kclguard-run-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

const capture = (argv: string[]) => captureOutput(() => main(argv));

describe('kclguard run', () => {
  test('prints the YAML of exported variables', async () => {
    const r = await capture([file('a.k', 'a = 1\n_b = 2\nc = {x: [1, 2]}\n')]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('a: 1\nc:\n  x:\n  - 1\n  - 2\n');
  });
  test('-D options are JSON with a string fallback', async () => {
    const r = await capture([file('b.k', 'a = option("n")\nb = option("s")\n'), '-D', 'n={"k": [1]}', '-Ds=hello']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('a:\n  k:\n  - 1\nb: hello\n');
  });
  test('--sort_keys and --disable_none', async () => {
    const r = await capture([file('c.k', 'b = 1\na = None\n'), '--sort_keys', '-n']);
    expect(r.out).toBe('b: 1\n');
  });
  test('errors go to stderr with the location, exit 1', async () => {
    const r = await capture([file('d.k', 'a = 1\nb = a + "x"\n')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('E2G22');
    expect(r.err).toContain('d.k:2:');
  });
  test('bad flags exit 2', async () => {
    expect((await capture(['--nope', 'x.k'])).code).toBe(2);
    expect((await capture([])).code).toBe(2);
  });
});
