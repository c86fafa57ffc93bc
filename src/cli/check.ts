/**
 * `kclguard check [PATHS] [--output text|json]`: validates KCLRun manifests and compiles their
 * `spec.source` and `.k` files (as the packages they belong to) without running anything. Every diagnostic is printed as
 * `file:line:col: error[CODE] message` (positions inside the file the author edits). Exit codes:
 * 0 no errors, 1 errors found, 2 bad command line or unreadable path.
 */
import type { FlagSpec } from './flags.js';
import { parseCommandFlags } from './author/args.js';
import { checkFile, checkKclDirectory, type CheckDiagnostic } from './author/check-files.js';
import { CliError, reportCliError } from './errors.js';
import { walkFiles } from './author/files.js';
import { statSync } from 'node:fs';
import { offlineResolver, OFFLINE_SOURCE_FLAGS } from './source-flags.js';
import { dirname } from 'node:path';

const FLAGS: readonly FlagSpec[] = [
  { name: 'output', type: 'enum', values: ['text', 'json'], default: 'text', description: 'output format (json: one document for editors and CI)' },
  ...OFFLINE_SOURCE_FLAGS,
];

const CHECKED = /\.(ya?ml|k)$/i;

function renderText(d: CheckDiagnostic): string {
  const lines = [`${d.file}:${d.line}:${d.col}: error[${d.code}]${d.policy ? ` (${d.policy})` : ''} ${d.message}`];
  for (const r of d.related ?? []) lines.push(`  ${r.file}:${r.line}:${r.col}: note: ${r.message}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const flags = parseCommandFlags('check', FLAGS, argv, { positionals: '[PATH ...]', exitCodes: '0 no errors, 1 errors, 2 usage error' });
  if (typeof flags === 'number') return flags;
  const roots = flags.positionals.length > 0 ? flags.positionals : ['.'];
  const diagnostics: CheckDiagnostic[] = [];
  let files = 0;
  let policies = 0;
  const kclDirs = new Set<string>();
  const reported = new Set<string>();
  try {
    const resolver = offlineResolver(flags.values);
    for (const root of roots) {
      const named = !statSync(root, { throwIfNoEntry: false })?.isDirectory();
      for (const file of walkFiles(root, (name) => CHECKED.test(name))) {
        files += 1;
        if (file.endsWith('.k')) {
          // A .k file is checked with its directory's package, once per directory.
          const dir = dirname(file);
          if (!kclDirs.has(dir)) diagnostics.push(...checkKclDirectory(dir, reported));
          kclDirs.add(dir);
          continue;
        }
        const result = await checkFile(file, named, resolver);
        policies += result.policies;
        diagnostics.push(...result.diagnostics);
      }
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return reportCliError('check', error);
  }
  if (flags.values.output === 'json') {
    process.stdout.write(`${JSON.stringify({ files, policies, errors: diagnostics.length, diagnostics }, null, 2)}\n`);
  } else {
    for (const d of diagnostics) process.stdout.write(`${renderText(d)}\n`);
    process.stdout.write(`checked ${files} file(s), ${policies} polic${policies === 1 ? 'y' : 'ies'}: ${diagnostics.length} error(s)\n`);
  }
  return diagnostics.length > 0 ? 1 : 0;
}
