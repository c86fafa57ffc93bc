/**
 * `kclguard run FILE.k [-D name=value ...] [--sort_keys] [--show_hidden] [-n|--disable_none]`:
 * prints what `kcl run` prints (print() output, then the YAML) and exits 0; a KCL error goes to
 * stderr in the reference's format with exit code 1; a bad command line exits 2.
 */
import { readFile } from 'node:fs/promises';
import { compile, formatDiagnosticWithSource, renderRunOutput, toKcl, type Value } from '../kcl/index.js';

const USAGE = 'usage: kclguard run FILE.k [-D name=value ...] [--sort_keys] [--show_hidden] [-n|--disable_none]\n';

interface RunFlags {
  file: string;
  options: Record<string, Value>;
  sortKeys: boolean;
  showHidden: boolean;
  disableNone: boolean;
}

/** `-D` values are JSON when they parse as JSON, otherwise the plain string. */
function optionValue(text: string): Value {
  try {
    return toKcl(JSON.parse(text));
  } catch {
    return text;
  }
}

function parseFlags(argv: string[]): RunFlags | string {
  const flags: RunFlags = { file: '', options: {}, sortKeys: false, showHidden: false, disableNone: false };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-D' || arg === '--argument') {
      const next = argv[++i];
      if (next === undefined) return `${arg} needs a name=value argument`;
      const err = addOption(flags, next);
      if (err) return err;
    } else if (arg.startsWith('-D') && arg.length > 2) {
      const err = addOption(flags, arg.slice(2));
      if (err) return err;
    } else if (arg === '--sort_keys' || arg === '--sort-keys') flags.sortKeys = true;
    else if (arg === '--show_hidden' || arg === '--show-hidden' || arg === '-H') flags.showHidden = true;
    else if (arg === '-n' || arg === '--disable_none' || arg === '--disable-none') flags.disableNone = true;
    else if (arg.startsWith('-') && arg !== '-') return `unknown flag '${arg}'`;
    else files.push(arg);
  }
  if (files.length !== 1) return files.length === 0 ? 'missing FILE.k' : 'exactly one FILE.k is supported';
  flags.file = files[0]!;
  return flags;
}

function addOption(flags: RunFlags, spec: string): string | undefined {
  const eq = spec.indexOf('=');
  if (eq <= 0) return `-D expects name=value, got '${spec}'`;
  flags.options[spec.slice(0, eq)] = optionValue(spec.slice(eq + 1));
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const flags = parseFlags(argv);
  if (typeof flags === 'string') {
    process.stderr.write(`kclguard run: ${flags}\n${USAGE}`);
    return 2;
  }
  let source: string;
  try {
    source = await readFile(flags.file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`kclguard run: cannot read '${flags.file}'${code ? ` (${code})` : ''}\n`);
    return 1;
  }
  const compiled = compile(source, flags.file);
  if (!compiled.ok) {
    process.stderr.write(compiled.diagnostics.map((d) => formatDiagnosticWithSource(d, source)).join('\n'));
    return 1;
  }
  const result = compiled.program.run({ options: flags.options });
  if (result.printed) process.stdout.write(result.printed);
  if (!result.ok) {
    process.stderr.write(formatDiagnosticWithSource(result.diagnostic, source));
    return 1;
  }
  process.stdout.write(
    renderRunOutput(result, { sortKeys: flags.sortKeys, showHidden: flags.showHidden, disableNone: flags.disableNone }),
  );
  return 0;
}
