/**
 * `kclguard run [FILE.k ...|DIR] [-D name=value ...] [-E name=path ...] [--sort_keys]
 * [--show_hidden] [-n|--disable_none]`: prints what `kcl run` prints (print() output, then the
 * YAML) and exits 0; a KCL error goes to stderr in the reference's format with exit code 1, as
 * does a path that does not exist; a bad command line exits 2 (codes: src/cli/errors.ts).
 *
 * Like `kcl run`: no path runs the package in the current directory; a directory runs that
 * package (kcl.mod's `[profile] entries`, else its `.k` files); files run as the main module of
 * the package they are in (the nearest directory above them with a kcl.mod, else their own
 * directory), so their imports and kcl.mod dependencies resolve. Dependencies come from
 * kcl.mod (`path`, `vendor/`, or `$KCL_PKG_PATH`, by default `~/.kcl/kpm`), or `-E name=path`.
 */
import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { compilePackage, formatDiagnosticWithSource, isStackOverflow, outputTooDeep, parseOptionArgument, renderRunOutput, type Diagnostic, type Value } from '../kcl/index.js';
import { fsLoader, referencePackageHome } from './author/fs-loader.js';
import { packageRootOf } from './author/kcl-packages.js';
import { CliError, FlagError, InputError, reportCliError } from './errors.js';

const USAGE =
  'usage: kclguard run [FILE.k ...|DIR] [-D name=value ...] [-E name=path ...] [--sort_keys] [--show_hidden] [-n|--disable_none]\n';

interface RunFlags {
  paths: string[];
  options: Record<string, Value>;
  external: Record<string, string>;
  sortKeys: boolean;
  showHidden: boolean;
  disableNone: boolean;
}

function parseFlags(argv: string[]): RunFlags {
  const flags: RunFlags = { paths: [], options: {}, external: {}, sortKeys: false, showHidden: false, disableNone: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const valued = (short: string, long: string): string | undefined => {
      if (arg === short || arg === long) return argv[++i] ?? '';
      if (arg.startsWith(short) && arg.length > short.length && !arg.startsWith('--')) return arg.slice(short.length);
      if (arg.startsWith(`${long}=`)) return arg.slice(long.length + 1);
      return undefined;
    };
    const option = valued('-D', '--argument');
    const external = option === undefined ? valued('-E', '--external') : undefined;
    if (option !== undefined) {
      const parsed = parseOptionArgument(option);
      if (!parsed.ok) throw new FlagError('C1006', { where: '-D', expected: "name=value with a single '='", actual: `'${option}'` });
      flags.options[parsed.name] = parsed.value;
    } else if (external !== undefined) {
      const eq = external.indexOf('=');
      if (eq <= 0 || eq === external.length - 1) throw new FlagError('C1006', { where: '-E', expected: 'name=path', actual: `'${external}'` });
      flags.external[external.slice(0, eq)] = resolve(external.slice(eq + 1));
    } else if (arg === '--sort_keys' || arg === '--sort-keys' || arg === '-k') flags.sortKeys = true;
    else if (arg === '--show_hidden' || arg === '--show-hidden' || arg === '-H') flags.showHidden = true;
    else if (arg === '-n' || arg === '--disable_none' || arg === '--disable-none') flags.disableNone = true;
    else if (arg.startsWith('-') && arg !== '-') throw new FlagError('C1003', { flag: arg });
    else flags.paths.push(arg);
  }
  return flags;
}

/** Where the program is: a package root and, for files, which of its files are the main module. */
function target(paths: readonly string[]): { root: string; files?: string[] } {
  if (paths.length === 0) return { root: '.' };
  const kinds = paths.map((p) => statSync(p, { throwIfNoEntry: false }));
  const missing = paths.find((_, i) => !kinds[i]);
  if (missing !== undefined) throw new InputError('C2018', { path: missing });
  if (kinds.some((k) => k!.isDirectory())) {
    if (paths.length > 1) throw new FlagError('C1012', {});
    return { root: paths[0]! };
  }
  const root = packageRootOf(paths[0]!);
  // Relative to the root, so diagnostics name the files as the user typed them.
  return { root, files: paths.map((p) => relative(root, p).split('\\').join('/')) };
}

function render(d: Diagnostic): string {
  const source = d.span ? fsLoader.readFile(d.span.file) : undefined;
  return formatDiagnosticWithSource(d, source ?? '');
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let flags: RunFlags;
  let where: { root: string; files?: string[] };
  try {
    flags = parseFlags(argv);
    where = target(flags.paths);
  } catch (error) {
    if (error instanceof CliError) return reportCliError('run', error);
    throw error;
  }
  const compiled = compilePackage(where.root, fsLoader, {
    ...(where.files ? { files: where.files } : {}),
    externalPackages: flags.external,
    packageHome: referencePackageHome(),
  });
  if (!compiled.ok) {
    process.stderr.write(compiled.diagnostics.map(render).join('\n'));
    return 1;
  }
  const result = compiled.program.run({ options: flags.options });
  if (result.printed) process.stdout.write(result.printed);
  if (!result.ok) {
    process.stderr.write(render(result.diagnostic));
    return 1;
  }
  let output: string;
  try {
    output = renderRunOutput(result, { sortKeys: flags.sortKeys, showHidden: flags.showHidden, disableNone: flags.disableNone });
  } catch (error) {
    // A value nested too deeply for the YAML writer's recursion: an error of the program, at
    // the statement assigning it, not an internal error.
    if (!isStackOverflow(error)) throw error;
    process.stderr.write(render(outputTooDeep(compiled.program, flags.showHidden && result.withHidden ? result.withHidden : result.exports)));
    return 1;
  }
  process.stdout.write(output);
  return 0;
}
