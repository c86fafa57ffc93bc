import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture as captureOutput, cliErrorCode } from '../../test/cli/cli-harness.js';
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
  mkdirSync(join(path, '..'), { recursive: true });
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
  test('-D options are parsed as the reference parses them: JSON, KCL name constants, else strings', async () => {
    const r = await capture([file('b.k', 'a = option("n")\nb = option("s")\nc = option("f")\nd = option("big")\n'), '-D', 'n={"k": [1]}', '-Ds=hello', '-D', 'f=False', '--argument=big=9007199254740993']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('a:\n  k:\n  - 1\nb: hello\nc: false\nd: 9007199254740993\n');
  });
  test('a -D without a single = is a usage error', async () => {
    expect(cliErrorCode(await capture([file('b2.k', 'a = 1\n'), '-D', 'k=a=b']), 'run')).toBe('C1006');
  });
  test('runs a package directory: its files, relative and root imports, kcl.mod path dependencies', async () => {
    file('pkg/kcl.mod', '[package]\nname = "pkg"\n\n[dependencies]\nhelper = { path = "../helper" }\n');
    file('pkg/main.k', 'import .sub\nimport helper\nb = sub.v + a\nh = helper.h\n');
    file('pkg/a.k', 'a = 1\n');
    file('pkg/sub/s.k', 'v = 10\n');
    file('helper/kcl.mod', '[package]\nname = "helper"\n');
    file('helper/h.k', 'h = "from helper"\n');
    const r = await capture([join(dir, 'pkg')]);
    expect(r.err).toBe('');
    expect(r.out).toBe('a: 1\nb: 11\nh: from helper\n');
    // A file of the package runs alone as the main module, with the package's imports.
    const one = await capture([join(dir, 'pkg', 'main.k')]);
    expect(one.err).toContain("name 'a' is not defined");
    expect((await capture([join(dir, 'pkg', 'main.k'), join(dir, 'pkg', 'a.k')])).out).toBe('b: 11\nh: from helper\na: 1\n');
  });
  test('-E maps a dependency name to a directory, as kcl run -E does', async () => {
    file('ext/lib/l.k', 'v = 5\n');
    file('uses-ext/main.k', 'import dep.lib\nx = lib.v\n');
    const r = await capture([join(dir, 'uses-ext'), '-E', `dep=${join(dir, 'ext')}`]);
    expect(r.out).toBe('x: 5\n');
  });
  test('an error inside an imported file is shown with that file, line and source', async () => {
    file('bad/main.k', 'import lib\nx = lib.v\n');
    file('bad/lib/l.k', 'v = 1\nassert v > 1, "v too small"\n');
    const r = await capture([join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(dir, 'bad', 'lib', 'l.k')}:2:1`);
    expect(r.err).toContain('assert v > 1');
  });
  test('a missing path exits 1, as kcl run does, naming it', async () => {
    const r = await capture([join(dir, 'nope.k')]);
    expect(cliErrorCode(r, 'run')).toBe('C2018');
    expect(r.err).toContain('nope.k');
  });
  test('a directory with other paths is a usage error', async () => {
    expect(cliErrorCode(await capture([dir, file('e.k', 'a = 1\n')]), 'run')).toBe('C1012');
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
  test('an output nested too deeply to print is K9002 at its statement, exit 1', async () => {
    // 190 calls each adding 60 levels: the YAML writer's recursion overflowed (an internal error, exit 70).
    const source = `_f = lambda n, x {\n    _f(n - 1, ${'['.repeat(60)}x${']'.repeat(60)}) if n > 0 else x\n}\na = 1\ndeep = _f(190, 1)\n`;
    const r = await capture([file('deep.k', source)]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('K9002');
    expect(r.err).toContain('deep.k:5:');
  });
  test('a source with thousands of syntax errors prints the first 100 and a count, each line cut short', async () => {
    const r = await capture([file('many.k', 'a = ' + '-'.repeat(200000) + '1\n')]);
    expect(r.code).toBe(1);
    expect(r.err.match(/error\[E1001\]/g)).toHaveLength(101);
    // 101 diagnostics, not 101 copies of the 200 KB line.
    expect(r.err.length).toBeLessThan(101 * 1000);
  });
  test('bad flags are one coded line, exit 2', async () => {
    expect(cliErrorCode(await capture(['--nope', 'x.k']), 'run')).toBe('C1003');
    expect(cliErrorCode(await capture(['-E', 'novalue', 'x.k']), 'run')).toBe('C1006');
  });
});
