/**
 * `kclguard version [--output text|json]` (also `kclguard --version`): the release version, from
 * the package's package.json, and the build, the git commit that `npm run build` recorded in
 * dist/build-info.json (scripts/write-build-info.mjs), or "unknown" when none was known then
 * (a build outside a git checkout without KCLGUARD_BUILD_COMMIT, or plain `tsc`). The image's OCI
 * label org.opencontainers.image.version and the chart's appVersion carry the same version.
 */
import { readFileSync } from 'node:fs';
import type { FlagSpec } from './flags.js';
import { parseCommandFlags } from './author/args.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'output', type: 'enum', values: ['text', 'json'], default: 'text', description: 'output format' },
];

export interface VersionInfo {
  readonly version: string;
  readonly build: string;
}

/** Where the two files are, relative to this module both in src/cli and in dist/cli. */
export const DEFAULT_SOURCES = {
  packageJson: new URL('../../package.json', import.meta.url),
  buildInfo: new URL('../build-info.json', import.meta.url),
} as const;

function readJson(path: URL | string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function stringField(doc: unknown, key: string): string | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const value = (doc as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function readVersionInfo(sources: { packageJson: URL | string; buildInfo: URL | string } = DEFAULT_SOURCES): VersionInfo {
  return {
    version: stringField(readJson(sources.packageJson), 'version') ?? 'unknown',
    build: stringField(readJson(sources.buildInfo), 'commit') ?? 'unknown',
  };
}

export function formatVersion(info: VersionInfo): string {
  return `kclguard ${info.version} (build ${info.build})`;
}

export async function main(argv: string[]): Promise<number> {
  const flags = parseCommandFlags('version', FLAGS, argv, { positionals: '', exitCodes: '0 printed, 2 usage error' });
  if (typeof flags === 'number') return flags;
  if (flags.positionals.length > 0) {
    process.stderr.write(`kclguard version: unexpected argument '${flags.positionals[0]}'\n`);
    return 2;
  }
  const info = readVersionInfo();
  process.stdout.write(flags.values.output === 'json' ? `${JSON.stringify(info)}\n` : `${formatVersion(info)}\n`);
  return 0;
}
