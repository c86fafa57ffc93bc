/**
 * What ships: the build (tsconfig.build.json) and the npm package hold kclguard's code only —
 * no tests, test doubles (`testing/` folders), case tables (`*.cases.ts`) or test helpers, which
 * the tests import from the TypeScript sources instead.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Test-only code, by the naming rules docs/architecture.md states. */
const TEST_ONLY = [/\.test\.(ts|js|d\.ts)(\.map)?$/, /(^|\/)testing\//, /\.cases\.(ts|js|d\.ts)(\.map)?$/, /(^|\/)test-helpers\./, /(^|\/)test-support\./];
const isTestOnly = (path: string): boolean => TEST_ONLY.some((pattern) => pattern.test(path));

function buildInputs(): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!parsed) throw new Error('tsconfig.build.json does not parse');
  return parsed.fileNames.map((file) => relative(ROOT, file).split('\\').join('/'));
}

describe('the built package', () => {
  it('the naming rules recognise every kind of test-only file', () => {
    for (const path of ['src/kcl/parse.test.ts', 'src/engine/testing/fake-compiler.ts', 'src/kcl/yaml-output.cases.ts', 'src/kcl/eval/test-helpers.ts', 'src/kcl/builtins/test-support.ts']) {
      expect(isTestOnly(path)).toBe(true);
    }
    expect(isTestOnly('src/engine/contract.ts')).toBe(false);
  });

  it('is built from no test-only source', () => {
    const inputs = buildInputs();
    expect(inputs).toContain('src/main.ts');
    expect(inputs.filter(isTestOnly)).toEqual([]);
  });

  it('packs the built code and nothing else', () => {
    // --ignore-scripts: listing the files must not run a build.
    const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    const [pack] = JSON.parse(result.stdout) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    expect(files).toContain('dist/main.js');
    expect(files.filter((path) => !path.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(path))).toEqual([]);
    expect(files.filter(isTestOnly)).toEqual([]);
  });
});
