/**
 * `kcl test` for `*_test.k` files: each file runs as part of its package (the other, non-test
 * `.k` files of its directory, in name order, then the test file), and every top-level
 * `test_*` lambda is called once; an assert (or any other error) inside it fails that test.
 *
 * The interpreter compiles one source, so the package is concatenated and diagnostics are mapped
 * back to the file and line they came from (source-map.ts).
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { compile, formatDiagnosticShort, type Diagnostic } from '../../kcl/index.js';
import { readText } from './files.js';
import { remapDiagnostic, type Segment } from './source-map.js';
import type { CaseReport } from './test-runner.js';

export const KCL_TEST_SUFFIX = '_test.k';

/** Per test, the budget `kcl test` has no notion of; generous, but a runaway test still ends. */
const TEST_TIMEOUT_MS = 10_000;

export interface KclPackage {
  readonly source: string;
  readonly segments: readonly Segment[];
}

/** The package a test file belongs to, as one source with its segment map. */
export function packageSource(testFile: string): KclPackage {
  const dir = dirname(testFile);
  const siblings = readdirSync(dir)
    .filter((n) => n.endsWith('.k') && !n.endsWith(KCL_TEST_SUFFIX) && !n.startsWith('.'))
    .sort()
    .map((n) => join(dir, n));
  const parts: string[] = [];
  const segments: Segment[] = [];
  let line = 1;
  for (const file of [...siblings, testFile]) {
    const text = readText(file).replace(/\n?$/, '\n');
    const count = text.split('\n').length - 1;
    segments.push({ file, firstLine: line, lineCount: count, targetLine: 1, colOffset: 0 });
    parts.push(text);
    line += count;
  }
  return { source: parts.join(''), segments };
}

/** Top-level `test_*` lambdas of a test file, in order. */
export function testLambdas(source: string): string[] {
  return [...source.matchAll(/^(test_\w+)\s*=\s*lambda\b/gm)].map((m) => m[1]!);
}

function describe(d: Diagnostic, segments: readonly Segment[]): string {
  return formatDiagnosticShort(remapDiagnostic(d, segments));
}

export function runKclTestFile(testFile: string): CaseReport[] {
  let pkg: KclPackage;
  try {
    pkg = packageSource(testFile);
  } catch (error) {
    return [{ name: testFile, ok: false, details: [error instanceof Error ? error.message : String(error)] }];
  }
  const names = testLambdas(readText(testFile));
  if (names.length === 0) return [];
  const base = compile(pkg.source, basename(testFile));
  if (!base.ok) {
    const details = base.diagnostics.map((d) => describe(d, pkg.segments));
    return names.map((name) => ({ name: `${testFile} > ${name}`, ok: false, details }));
  }
  return names.map((name) => {
    // The call is appended after the package; an error located there is the lambda's own.
    const call = `\n_kclguard_test_result = ${name}()\n`;
    const compiled = compile(pkg.source + call, basename(testFile));
    if (!compiled.ok) return { name: `${testFile} > ${name}`, ok: false, details: compiled.diagnostics.map((d) => describe(d, pkg.segments)) };
    const run = compiled.program.run({ limits: { timeoutMs: TEST_TIMEOUT_MS } });
    if (run.ok) return { name: `${testFile} > ${name}`, ok: true, details: [] };
    const details = [describe(run.diagnostic, pkg.segments)];
    if (run.printed) details.push('print() output:', ...run.printed.replace(/\n$/, '').split('\n').map((l) => `  | ${l}`));
    return { name: `${testFile} > ${name}`, ok: false, details };
  });
}
