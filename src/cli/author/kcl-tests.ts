/**
 * `kcl test` for `*_test.k` files: each file runs as part of its package (the other, non-test
 * `.k` files of its directory, in name order, then the test file, with the package's imports and
 * kcl.mod dependencies), and every top-level `test_*` lambda is called once; an assert (or any
 * other error) inside it fails that test, reported with the file:line:col it happened at.
 *
 * The call is a small in-memory file laid beside the test file (overlayLoader), so nothing is
 * concatenated and every diagnostic names the real file.
 */
import { basename, dirname, join } from 'node:path';
import { formatDiagnosticShort, type Diagnostic } from '../../kcl/index.js';
import { readText } from './files.js';
import { compileKclFiles, KCL_TEST_SUFFIX, moduleFilesOf } from './kcl-packages.js';
import type { CaseReport } from './test-runner.js';

export { KCL_TEST_SUFFIX } from './kcl-packages.js';

/** Per test, the budget `kcl test` has no notion of; generous, but a runaway test still ends. */
const TEST_TIMEOUT_MS = 10_000;

/** The name of the in-memory file holding a test's call; a name no author would use. */
const CALL_FILE = '__kclguard_test_call__.k';

/** The files a test file is compiled with: its package's module files, then itself. */
export function testPackageFiles(testFile: string): string[] {
  return [...moduleFilesOf(dirname(testFile)), testFile];
}

/** Top-level `test_*` lambdas of a test file, in order. */
export function testLambdas(source: string): string[] {
  return [...source.matchAll(/^(test_\w+)\s*=\s*lambda\b/gm)].map((m) => m[1]!);
}

function describe(d: Diagnostic, testFile: string): string {
  // An error in the call itself (a test that is not a function) is the test file's.
  const span = d.span && basename(d.span.file) === CALL_FILE ? undefined : d.span;
  return formatDiagnosticShort(span ? d : { ...d, message: `${d.message} (in ${testFile})` });
}

export function runKclTestFile(testFile: string): CaseReport[] {
  let names: string[];
  let files: string[];
  try {
    names = testLambdas(readText(testFile));
    files = testPackageFiles(testFile);
  } catch (error) {
    return [{ name: testFile, ok: false, details: [error instanceof Error ? error.message : String(error)] }];
  }
  if (names.length === 0) return [];
  const base = compileKclFiles(files);
  if (!base.ok) {
    const details = base.diagnostics.map((d) => describe(d, testFile));
    return names.map((name) => ({ name: `${testFile} > ${name}`, ok: false, details }));
  }
  const callPath = join(dirname(testFile), CALL_FILE);
  return names.map((name) => {
    const compiled = compileKclFiles([...files, callPath], { [callPath]: `_kclguard_test_result = ${name}()\n` });
    if (!compiled.ok) return { name: `${testFile} > ${name}`, ok: false, details: compiled.diagnostics.map((d) => describe(d, testFile)) };
    const run = compiled.program.run({ limits: { timeoutMs: TEST_TIMEOUT_MS } });
    if (run.ok) return { name: `${testFile} > ${name}`, ok: true, details: [] };
    const details = [describe(run.diagnostic, testFile)];
    if (run.printed) details.push('print() output:', ...run.printed.replace(/\n$/, '').split('\n').map((l) => `  | ${l}`));
    return { name: `${testFile} > ${name}`, ok: false, details };
  });
}
