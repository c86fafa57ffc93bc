/**
 * Flags that may be given several times (`--policy A --policy B`, `--group G1 --group G2`).
 * The shared parser (src/cli/flags.ts) rejects repeats by design, so these are taken out of
 * argv first; what remains goes through parseFlags as usual.
 */
import { FlagError } from '../flags.js';

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
      if (value === undefined || value.startsWith('--')) throw new FlagError(`flag --${name} needs a value`);
      i++;
    }
    if (value === '') throw new FlagError(`--${name} must not be empty`);
    repeated[name]!.push(value);
  }
  return { repeated, rest };
}
