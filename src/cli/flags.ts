/**
 * A small command-line flag parser shared by the kclguard subcommands. Every flag has an
 * environment-variable twin (KCLGUARD_<FLAG>, dashes as underscores); a flag on the command line
 * wins over its twin, which wins over the default. Values are checked here, so a command gets a
 * typed, frozen configuration or a FlagError (src/cli/errors.ts) with a code and a one-line message.
 */
import { FlagError } from './errors.js';

export type FlagValue = string | number | boolean;

interface FlagBase {
  /** Long name without dashes, e.g. `policies` for --policies. */
  readonly name: string;
  readonly description: string;
  /** Placeholder in the usage text, e.g. DIR or FILE. */
  readonly valueName?: string;
  /** Environment twin; default KCLGUARD_<NAME>. false: none. */
  readonly env?: string | false;
}

export type FlagSpec =
  | (FlagBase & { readonly type: 'string'; readonly default?: string })
  | (FlagBase & { readonly type: 'integer'; readonly default?: number; readonly min?: number; readonly max?: number })
  | (FlagBase & { readonly type: 'boolean'; readonly default?: boolean })
  | (FlagBase & { readonly type: 'enum'; readonly values: readonly string[]; readonly default?: string });

export type FlagSource = 'flag' | 'env' | 'default';

export interface ParsedFlags {
  readonly values: Readonly<Record<string, FlagValue | undefined>>;
  /** Where each value came from; absent for flags with no value at all. */
  readonly sources: Readonly<Record<string, FlagSource>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

export function envName(spec: FlagSpec): string | undefined {
  if (spec.env === false) return undefined;
  return spec.env ?? `KCLGUARD_${spec.name.toUpperCase().replaceAll('-', '_')}`;
}

export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values: Record<string, FlagValue | undefined> = {};
  const sources: Record<string, FlagSource> = {};
  const positionals: string[] = [];
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1) throw new FlagError('C1003', { flag: arg });
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    const spec = byName.get(name);
    if (!spec) throw new FlagError('C1003', { flag: `--${name}` });
    let raw: string;
    if (equals !== -1) {
      raw = arg.slice(equals + 1);
    } else if (spec.type === 'boolean') {
      raw = 'true';
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new FlagError('C1004', { flag: `--${name}`, valueName: valueName(spec) });
      }
      raw = next;
      i++;
    }
    if (sources[name] === 'flag') throw new FlagError('C1005', { flag: `--${name}` });
    values[name] = convert(spec, raw, `--${name}`);
    sources[name] = 'flag';
  }

  for (const spec of specs) {
    if (sources[spec.name]) continue;
    const variable = envName(spec);
    const fromEnv = variable === undefined ? undefined : env[variable];
    if (fromEnv !== undefined && fromEnv !== '') {
      values[spec.name] = convert(spec, fromEnv, `environment variable ${variable}`);
      sources[spec.name] = 'env';
    } else if (spec.default !== undefined) {
      values[spec.name] = spec.default;
      sources[spec.name] = 'default';
    }
  }
  return { values, sources, positionals, help };
}

/** The placeholder of a flag's value in messages and the usage text: DIR, FILE, N... */
function valueName(spec: FlagSpec): string {
  return spec.valueName ?? (spec.type === 'integer' ? 'N' : 'VALUE');
}

function convert(spec: FlagSpec, raw: string, where: string): FlagValue {
  const invalid = (expected: string) => new FlagError('C1006', { where, expected, actual: JSON.stringify(raw) });
  switch (spec.type) {
    case 'string':
      if (raw === '') throw invalid('non-empty');
      return raw;
    case 'boolean': {
      const lowered = raw.toLowerCase();
      if (['true', '1', 'yes'].includes(lowered)) return true;
      if (['false', '0', 'no'].includes(lowered)) return false;
      throw invalid('true or false');
    }
    case 'integer': {
      if (!/^-?\d+$/.test(raw.trim())) throw invalid('an integer');
      const n = Number(raw);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw invalid(`between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`);
      }
      return n;
    }
    case 'enum':
      if (!spec.values.includes(raw)) throw invalid(`one of ${spec.values.join(', ')}`);
      return raw;
  }
}

export function formatUsage(command: string, specs: readonly FlagSpec[]): string {
  const lines = [`usage: kclguard ${command} [flags]`, '', 'flags (each also read from the environment variable shown):'];
  for (const spec of specs) {
    const placeholder = spec.type === 'boolean' ? '' : ` ${valueName(spec)}`;
    const variable = envName(spec);
    const extra = [
      spec.type === 'enum' ? `one of ${spec.values.join('|')}` : undefined,
      spec.default !== undefined ? `default ${String(spec.default)}` : undefined,
      variable ? `env ${variable}` : undefined,
    ].filter(Boolean);
    lines.push(`  --${spec.name}${placeholder}`);
    lines.push(`      ${spec.description}${extra.length > 0 ? ` (${extra.join('; ')})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
