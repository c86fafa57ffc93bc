import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatVersion, main, readVersionInfo } from '../../src/cli/version.js';
import { capture } from './cli-harness.js';

const run = (...argv: string[]) => capture(() => main(argv));

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function files(packageJson: string | undefined, buildInfo: string | undefined): { packageJson: string; buildInfo: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-version-'));
  made.push(dir);
  const paths = { packageJson: join(dir, 'package.json'), buildInfo: join(dir, 'build-info.json') };
  if (packageJson !== undefined) writeFileSync(paths.packageJson, packageJson);
  if (buildInfo !== undefined) writeFileSync(paths.buildInfo, buildInfo);
  return paths;
}

describe('kclguard version', () => {
  test('reads the version from package.json and the build from build-info.json', () => {
    const info = readVersionInfo(files('{"version": "1.2.3"}', '{"commit": "0123456789abcdef"}'));
    expect(info).toEqual({ version: '1.2.3', build: '0123456789abcdef' });
    expect(formatVersion(info)).toBe('kclguard 1.2.3 (build 0123456789abcdef)');
  });

  test('a build without build-info.json, or with a broken or empty one, reports build "unknown"', () => {
    expect(readVersionInfo(files('{"version": "1.2.3"}', undefined)).build).toBe('unknown');
    expect(readVersionInfo(files('{"version": "1.2.3"}', '{not json')).build).toBe('unknown');
    expect(readVersionInfo(files('{"version": "1.2.3"}', '{"commit": ""}')).build).toBe('unknown');
    expect(readVersionInfo(files('{"version": "1.2.3"}', '{"commit": 42}')).build).toBe('unknown');
  });

  test('an unreadable package.json gives version "unknown" instead of a crash', () => {
    expect(readVersionInfo(files(undefined, undefined))).toEqual({ version: 'unknown', build: 'unknown' });
  });

  test('prints this package\'s version, as text and as JSON', async () => {
    const { version } = readVersionInfo();
    const text = await run();
    expect(text.code).toBe(0);
    expect(text.out).toMatch(new RegExp(`^kclguard ${version.replace(/\./g, '\\.')} \\(build [^)]+\\)\\n$`));
    const json = await run('--output', 'json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(expect.objectContaining({ version }));
  });

  test('an argument or an unknown flag is a usage error (exit 2)', async () => {
    expect((await run('extra')).code).toBe(2);
    expect((await run('--bogus')).code).toBe(2);
  });
});
