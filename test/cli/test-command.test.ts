import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/test.js';
import { capture, cliErrorCode, fixture, POLICIES_DIR } from './cli-harness.js';

const run = (...argv: string[]) => capture(() => main(argv));

function summary(out: string): { passed: number; failed: number } {
  const lines = out.trimEnd().split('\n');
  const m = /^(\d+) passed, (\d+) failed$/.exec(lines[lines.length - 1]!);
  expect(m).not.toBeNull();
  return { passed: Number(m![1]), failed: Number(m![2]) };
}

describe('kclguard test', () => {
  test('a passing suite (engine results, RBAC, consent, patch and object expectations): exit 0', async () => {
    const { code, out } = await run(fixture('suite'));
    expect(summary(out)).toEqual({ passed: 5, failed: 0 });
    expect(code).toBe(0);
  });

  test('guardrails: validationActions, the exempt rule through RBAC manifests, recovery programs', async () => {
    const { code, out } = await run(fixture('guardrails'));
    expect(summary(out)).toEqual({ passed: 5, failed: 0 });
    expect(code).toBe(0);
  });

  test('failures show what differed; the summary counts them; exit 1', async () => {
    const { code, out } = await run(fixture('testdata', 'failing-suite'));
    expect(code).toBe(1);
    expect(summary(out)).toEqual({ passed: 1, failed: 3 });
    expect(out).toMatch(/^FAIL .*> wrong expectation\n\s+expected result passed, got violated/m);
    expect(out).toMatch(/^FAIL .*> missing resource file\n\s+error C2001: /m);
    expect(out).not.toContain('trace:');
  });

  test('a case whose own inputs are wrong fails with the code of the input error', async () => {
    const { code, out } = await run(fixture('testdata', 'input-errors'));
    expect(code).toBe(1);
    expect(summary(out)).toEqual({ passed: 0, failed: 4 });
    const failures = [...out.matchAll(/^FAIL .*> (.+)\n\s+error (C\d{4}): /gm)].map((m) => [m[1], m[2]]);
    expect(failures).toEqual([
      ['no expect.policy with two policies', 'C2011'],
      ['an unknown expect.policy', 'C2012'],
      ['an expected patch that is not a list', 'C2013'],
      ['a resource that is not an object', 'C2005'],
    ]);
  });

  test('a test file that is not a KCLGuardTest fails as one test, with its code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kclguard-test-cmd-'));
    try {
      writeFileSync(join(dir, 'kclguard-test.yaml'), 'apiVersion: kclguard.dev/v1alpha1\nkind: KCLGuardTest\ncases: nope\n');
      const { code, out } = await run(dir);
      expect(code).toBe(1);
      expect(summary(out)).toEqual({ passed: 0, failed: 1 });
      expect(out).toMatch(/^FAIL .*kclguard-test\.yaml\n\s+error C2010: /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('*_test.k files run with their package: imports, sibling files and kcl.mod dependencies resolve', async () => {
    const { code, out } = await run(fixture('testdata', 'kcl-pkg-imports'));
    expect(summary(out)).toEqual({ passed: 1, failed: 1 });
    expect(code).toBe(1);
    expect(out).toMatch(/^PASS .*main_test\.k > test_labels$/m);
    // The failed check names the instantiation in the test file.
    expect(out).toContain(`${fixture('testdata', 'kcl-pkg-imports', 'main_test.k')}:9:9: E3M40`);
  });

  test('expected objects and patches through a `__proto__` key are compared as ordinary data', async () => {
    const { code, out } = await run(fixture('testdata', 'proto-keys'));
    expect(summary(out)).toEqual({ passed: 2, failed: 1 });
    expect(code).toBe(1);
    expect(out).toMatch(/^PASS .*> the object with __proto__ and constructor annotations$/m);
    expect(out).toMatch(/^PASS .*> the patch through __proto__$/m);
    expect(out).toMatch(/^FAIL .*> a wrong __proto__ annotation in the expected object\n.*\n\s+- \/metadata\/annotations\/__proto__: "wrong"\n\s+\+ \/metadata\/annotations\/__proto__: "p"$/m);
  });

  test('--trace adds the engine trace to failing cases', async () => {
    const { out } = await run(fixture('testdata', 'failing-suite'), '--trace');
    expect(out).toMatch(/^\s+trace:$/m);
    expect(out).toContain('allow-all');
  });

  test('KCL test_ lambdas in *_test.k run with their package; an assert fails one test with E3M41 at its line', async () => {
    const { code, out } = await run(fixture('testdata', 'kcl-pkg'));
    expect(code).toBe(1);
    expect(summary(out)).toEqual({ passed: 1, failed: 1 });
    expect(out).toContain(`${fixture('testdata', 'kcl-pkg', 'lib_test.k')}:6:5: E3M41`);
  });

  test('a single test file can be named', async () => {
    const { code, out } = await run(fixture('suite', 'kclguard-test.yaml'));
    expect(code).toBe(0);
    expect(summary(out).passed).toBe(5);
  });

  test('testdata/ directories below the path are skipped (fixtures meant to fail)', async () => {
    const { code, out } = await run(fixture());
    expect(summary(out)).toEqual({ passed: 10, failed: 0 });
    expect(code).toBe(0);
  });

  test('a missing path or a bad flag is one coded line, exit 2', async () => {
    expect(cliErrorCode(await run(fixture('nope')), 'test')).toBe('C2001');
    expect(cliErrorCode(await run('--quiet=maybe'), 'test')).toBe('C1006');
  });

  test('nothing to run is a failure', async () => {
    const { code, out } = await run(fixture('rbac'));
    expect(code).toBe(1);
    expect(summary(out)).toEqual({ passed: 0, failed: 0 });
  });

  test('the example policies in policies/ through the whole engine', async () => {
    const { code, out } = await run(POLICIES_DIR, '--quiet');
    const { passed, failed } = summary(out);
    // Every example policy has a test file with at least two cases.
    expect(passed + failed).toBeGreaterThanOrEqual(2 * 20);
    expect(out.split('\n').filter((l) => l.startsWith('FAIL '))).toEqual([]);
    expect(code).toBe(0);
  }, 60_000);
});
