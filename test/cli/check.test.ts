import { describe, expect, test } from '@jest/globals';
import { main } from '../../src/cli/check.js';
import { capture, cliErrorCode, fixture, POLICIES_DIR } from './cli-harness.js';

const run = (...argv: string[]) => capture(() => main(argv));

interface Diag { file: string; line: number; col: number; code: string; policy?: string }

describe('kclguard check', () => {
  test('.k files are checked as their package: imports, sibling names and kcl.mod dependencies resolve', async () => {
    const { code, out } = await run(fixture('testdata', 'kcl-pkg-imports'));
    expect(out).toMatch(/checked \d+ file\(s\), 0 policies: 0 error\(s\)/);
    expect(code).toBe(0);
  });

  test('an error inside an imported module is reported at that module file, once', async () => {
    const { code, out } = await run(fixture('testdata', 'kcl-pkg-broken-import'));
    expect(code).toBe(1);
    const lib = fixture('testdata', 'kcl-pkg-broken-import', 'lib', 'l.k');
    expect(out.split('\n').filter((l) => l.startsWith(`${lib}:2:5: error[E2L23]`))).toHaveLength(1);
  });

  test('KCL diagnostics are mapped into the YAML file: line of spec.source content + KCL line, column + indent', async () => {
    const { code, out } = await run(fixture('testdata', 'check', 'bad-source.yaml'), '--output', 'json');
    expect(code).toBe(1);
    const doc = JSON.parse(out) as { errors: number; policies: number; diagnostics: Diag[] };
    expect(doc.policies).toBe(2);
    expect(doc.diagnostics).toEqual([
      expect.objectContaining({ file: fixture('testdata', 'check', 'bad-source.yaml'), line: 21, col: 44, code: 'E1001', policy: 'team-a/bad-source' }),
    ]);
  });

  test('a recovery program is compiled too, its diagnostics mapped to spec.recovery.source even when it comes first', async () => {
    const { code, out } = await run(fixture('testdata', 'check', 'bad-recovery.yaml'), '--output', 'json');
    expect(code).toBe(1);
    const doc = JSON.parse(out) as { diagnostics: Diag[] };
    expect(doc.diagnostics.map((d) => [d.line, d.col, d.code])).toEqual([
      [13, 9, 'E1001'],
      [10, 11, 'E1001'],
    ]);
  });

  test('schema problems point at the field', async () => {
    const { code, out } = await run(fixture('testdata', 'check', 'bad-schema.yaml'), '--output', 'json');
    expect(code).toBe(1);
    const doc = JSON.parse(out) as { diagnostics: Diag[] };
    expect(doc.diagnostics).toEqual([expect.objectContaining({ line: 6, code: 'schema/enum', policy: 'default/bad-schema' })]);
  });

  test('text output: one file:line:col line per diagnostic', async () => {
    const { code, out } = await run(fixture('testdata', 'check'));
    expect(code).toBe(1);
    expect(out).toContain(`${fixture('testdata', 'check', 'bad-source.yaml')}:21:44: error[E1001]`);
    expect(out).toContain(`${fixture('testdata', 'check', 'bad-schema.yaml')}:6:1: error[schema/enum]`);
  });

  test('.k files and a package test file compile', async () => {
    const { code, out } = await run(fixture('testdata', 'check', 'ok.k'), fixture('testdata', 'kcl-pkg'), '--output', 'json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ files: 3, errors: 0 });
  });

  test('a named YAML file without a policy and a YAML syntax error (reported where js-yaml detects it, the end of the unclosed flow) are errors', async () => {
    const { code, out } = await run(fixture('resources', 'pod.yaml'), fixture('testdata', 'not-yaml.yaml'), '--output', 'json');
    expect(code).toBe(1);
    const codes = (JSON.parse(out) as { diagnostics: Diag[] }).diagnostics.map((d) => [d.code, d.line]);
    expect(codes).toEqual([['no-policy', 1], ['yaml', 4]]);
  });

  test('the example policies all compile', async () => {
    const { code, out } = await run(POLICIES_DIR, '--output', 'json');
    const doc = JSON.parse(out) as { policies: number; diagnostics: Diag[] };
    expect(doc.diagnostics).toEqual([]);
    expect(doc.policies).toBeGreaterThanOrEqual(20);
    expect(code).toBe(0);
  });

  test('a directory: YAML files without a policy and testdata/ are skipped', async () => {
    const { code, out } = await run(fixture(), '--output', 'json');
    expect(JSON.parse(out)).toMatchObject({ errors: 0, policies: 13 });
    expect(code).toBe(0);
  });

  test('usage errors are one coded line, exit 2', async () => {
    expect(cliErrorCode(await run('--output', 'xml'), 'check')).toBe('C1006');
    expect(cliErrorCode(await run(fixture('nope')), 'check')).toBe('C2001');
  });
});
