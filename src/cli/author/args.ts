/**
 * Flags that may be given several times (`--policy A --policy B`, `--group G1 --group G2`).
 * The shared parser (src/cli/flags.ts) rejects repeats by design, so these are taken out of
 * argv first; what remains goes through parseFlags as usual.
 */
import { FlagError, reportCliError } from '../errors.js';
import { formatUsage, parseFlags, type FlagSpec, type ParsedFlags } from '../flags.js';

export function takeRepeated(argv: readonly string[], names: readonly string[]): { repeated: Record<string, string[]>; rest: string[] } {
  const repeated: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const equals = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, equals === -1 ? undefined : equals) : '';
    if (!names.includes(name)) {
      rest.push(arg);
      continue;
    }
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new FlagError('C1004', { flag: `--${name}`, valueName: 'VALUE' });
      i++;
    }
    if (value === '') throw new FlagError('C1006', { where: `--${name}`, expected: 'non-empty', actual: '""' });
    repeated[name]!.push(value);
  }
  return { repeated, rest };
}

/**
 * The flag handling `check` and `test` share: parse, print usage for --help, report a bad flag
 * in one coded line. Returns the parsed flags, or the exit code to end with (0 after --help, 2 on
 * a usage error).
 */
export function parseCommandFlags(
  command: string,
  specs: readonly FlagSpec[],
  argv: readonly string[],
  usage: { readonly positionals: string; readonly exitCodes: string },
): ParsedFlags | number {
  let flags: ParsedFlags;
  try {
    flags = parseFlags(specs, argv);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    return reportCliError(command, error);
  }
  if (flags.help) {
    process.stdout.write(`${formatUsage(command, specs).replace('[flags]', `[flags] ${usage.positionals}`)}\nexit codes: ${usage.exitCodes}\n`);
    return 0;
  }
  return flags;
}
