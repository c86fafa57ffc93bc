/** Keeps the error catalogue, the flags and the metric names in step with the docs. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { AdmissionErrorCodes } from '../../src/admission/errors.js';
import { envName } from '../../src/cli/flags.js';
import { SERVE_FLAGS } from '../../src/cli/serve.js';
import { createMetrics } from '../../src/observability/metrics.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

describe('docs stay in sync with the code', () => {
  it('docs/admission.md lists every admission error code with its name', () => {
    const doc = read('docs/admission.md');
    for (const [code, { name }] of Object.entries(AdmissionErrorCodes)) {
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${name} \\|`));
    }
    const documented = [...doc.matchAll(/\| `(A\d{4})` \|/g)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(AdmissionErrorCodes).sort());
  });

  it('docs/operations.md lists every serve flag with its environment twin', () => {
    const doc = read('docs/operations.md');
    for (const spec of SERVE_FLAGS) {
      expect(doc).toMatch(new RegExp(`\`--${spec.name}[ \`]`));
      expect(doc).toContain(`\`${envName(spec)}\``);
    }
  });

  it('docs/operations.md lists every kclguard metric', async () => {
    const doc = read('docs/operations.md');
    const registry = new Registry();
    createMetrics(registry, { processMetrics: false });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBe(18);
    for (const name of names) expect(doc).toContain(`\`${name}\``);
  });
});
