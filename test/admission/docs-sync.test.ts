/** Keeps the error catalogue, the flags and the metric names in step with the docs. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { AdmissionErrorCodes } from '../../src/admission/errors.js';
import { CLI_ERRORS } from '../../src/cli/errors.js';
import { ErrorCodes } from '../../src/kcl/diagnostics.js';
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

  it('docs/cli.md lists every command-line error code with its name and exit code', () => {
    const doc = read('docs/cli.md');
    for (const [code, { name, exitCode }] of Object.entries(CLI_ERRORS)) {
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${name} \\| ${exitCode} \\|`));
    }
    const documented = [...doc.matchAll(/\| `(C\d{4})` \|/g)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(CLI_ERRORS).sort());
  });

  it('docs/kcl-language.md lists exactly the KCL error codes, with their names', () => {
    const doc = read('docs/kcl-language.md');
    const section = doc.slice(doc.indexOf('## Error codes'), doc.indexOf('\n## ', doc.indexOf('## Error codes') + 1));
    const documented = [...section.matchAll(/^\| `([EK][0-9A-Z]{4})` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]);
    expect(documented.sort()).toEqual(Object.entries(ErrorCodes).sort());
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
    expect(names.length).toBe(25);
    for (const name of names) expect(doc).toContain(`\`${name}\``);
  });
});
