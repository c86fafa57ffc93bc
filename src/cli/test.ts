/**
 * `kclguard test [DIR|FILE ...]`: runs every kclguard-test.yaml (through the webhook's engine)
 * and every `test_*` lambda of every `*_test.k` file below the given paths (default `.`).
 * Prints one line per test, the reasons of failures, and finally exactly `N passed, N failed`.
 * Exit codes: 0 all passed, 1 any failure (or nothing to run), 2 bad command line or path.
 */
import type { FlagSpec } from './flags.js';
import { parseCommandFlags } from './author/args.js';
import { CliError, reportCliError } from './errors.js';
import { walkFiles } from './author/files.js';
import { KCL_TEST_SUFFIX, runKclTestFile } from './author/kcl-tests.js';
import { TEST_FILE_NAME } from './author/test-file.js';
import { runTestFile, type CaseReport } from './author/test-runner.js';
import { offlineResolver, OFFLINE_SOURCE_FLAGS } from './source-flags.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'quiet', type: 'boolean', default: false, description: 'print only failures and the summary', env: false },
  { name: 'trace', type: 'boolean', default: false, description: 'with a failing kclguard-test.yaml case, also print the engine trace (selection, ServiceAccount checks)', env: false },
  ...OFFLINE_SOURCE_FLAGS,
];

export async function main(argv: string[]): Promise<number> {
  const flags = parseCommandFlags('test', FLAGS, argv, { positionals: '[DIR|FILE ...]', exitCodes: '0 all passed, 1 a test failed, 2 usage error' });
  if (typeof flags === 'number') return flags;
  const roots = flags.positionals.length > 0 ? flags.positionals : ['.'];
  let files: string[];
  let resolver;
  try {
    resolver = offlineResolver(flags.values);
    files = roots.flatMap((root) => walkFiles(root, (name) => name === TEST_FILE_NAME || name.endsWith(KCL_TEST_SUFFIX)));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return reportCliError('test', error);
  }
  const reports: CaseReport[] = [];
  for (const file of files) {
    const fileReports = file.endsWith(KCL_TEST_SUFFIX) ? runKclTestFile(file) : await runTestFile(file, { trace: flags.values.trace === true, resolver });
    for (const report of fileReports) {
      reports.push(report);
      if (report.ok && flags.values.quiet) continue;
      const lines = [`${report.ok ? 'PASS' : 'FAIL'} ${report.name}`, ...report.details.map((d) => `    ${d}`)];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  }
  const passed = reports.filter((r) => r.ok).length;
  const failed = reports.length - passed;
  if (reports.length === 0) process.stdout.write(`no ${TEST_FILE_NAME} or *${KCL_TEST_SUFFIX} tests found under ${roots.join(', ')}\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 && reports.length > 0 ? 0 : 1;
}
