// One release version in three places: package.json (what `kclguard version` prints), the
// Dockerfile's KCLGUARD_VERSION (the image's org.opencontainers.image.version label; the image
// build also checks the built label) and the chart's appVersion (the image tag it deploys).
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('release version', () => {
  const version = (JSON.parse(read('package.json')) as { version: string }).version;

  test('package.json has a semantic version', () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  test("the Dockerfile's OCI version label defaults to it", () => {
    const dockerfile = read('Dockerfile');
    const declared = [...dockerfile.matchAll(/^ARG KCLGUARD_VERSION=(\S+)$/gm)].map((m) => m[1]);
    expect(declared).toEqual([version]);
    expect(dockerfile).toMatch(/org\.opencontainers\.image\.version="\$\{KCLGUARD_VERSION\}"/);
  });

  test("the chart's appVersion is it", () => {
    const chart = yaml.load(read('charts/kclguard/Chart.yaml')) as { appVersion: unknown };
    expect(String(chart.appVersion)).toBe(version);
  });
});
