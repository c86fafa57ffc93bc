// What run.sh repeats at the end of the real-cluster suite (test/real-cluster/lib/chainsaw-report.mjs):
// each failed Chainsaw operation with its error, from Chainsaw's own coloured output, and the
// pass/fail counts from its JSON report.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- plain JavaScript module of the suite, without type declarations
import { countsOf, describeFailures, logEntries, MAX_ENTRY_LINES, MAX_FAILURES } from './lib/chainsaw-report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// An excerpt of a failed CI run's output (colours and all), and a script failure in the same format.
const failedLog = readFileSync(join(here, 'fixtures', 'chainsaw-failed.txt'), 'utf8');

const entry = (test: string, step: string, operation: string, status: string, lines: string[] = []) =>
  [`    l.go:52: | 02:20:10 | ${test} | ${step} | ${operation}    | ${status} |`, ...lines.map((l) => `        ${l}`)].join('\n');

describe('describeFailures', () => {
  test('each failed operation, with its error and the output its script logged before it', () => {
    const text: string = describeFailures(failedLog);
    const blocks = text.split('\n').filter((line) => !line.startsWith(' '));
    expect(blocks).toEqual([
      'helm-lifecycle / helm uninstall leaves nothing behind / DELETE ERROR: krm.kcl.dev/v1alpha1/KCLRun @ chainsaw-alive-reptile/label-pods',
      'webhook-gc / the configurations are deleted with the role / SCRIPT ERROR',
    ]);
    expect(text).toContain('    Internal error occurred: failed calling webhook "validate.kclguard.krm.kcl.dev"');
    expect(text).toContain('context deadline exceeded');
    expect(text).toContain('    Error from server (NotFound): validatingwebhookconfigurations.admissionregistration.k8s.io "kclguard" not found');
    expect(text).toContain('    exit status 1');
    // Colours, backspaces and Go's own test output are left out; a WARN (a retry) is not a failure.
    expect(text).not.toMatch(/\x1b|\x08|--- FAIL|WARN/);
  });

  test('a passing run has nothing to repeat', () => {
    const passed = failedLog.split('\n').filter((line) => !/\| (ERROR|WARN) /.test(line.replace(/\x1b\[[0-9;]*m/g, ''))).join('\n');
    expect(describeFailures(passed)).toBe('');
    expect(describeFailures('')).toBe('');
  });

  test('a long output keeps its last lines, and many failures are counted past the first ones', () => {
    const output = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const text: string = describeFailures([entry('t', 's', 'SCRIPT', 'LOG', output), entry('t', 's', 'SCRIPT', 'ERROR', ['exit status 1'])].join('\n'));
    expect(text).toContain('line 99');
    expect(text).not.toContain('line 0\n');
    expect(text.split('\n').filter((line) => line.startsWith('    line')).length).toBe(MAX_ENTRY_LINES);
    const many = Array.from({ length: MAX_FAILURES + 3 }, (_, i) => entry('t', `step ${i}`, 'ASSERT', 'ERROR', ['=== ERROR', 'mismatch'])).join('\n');
    expect(describeFailures(many)).toContain('... and 3 more failed operations');
  });

  test('an error whose operation logged nothing else before it still shows its own lines', () => {
    const entries = logEntries(entry('t', 's', 'APPLY', 'ERROR', ['=== ERROR', 'admission webhook denied the request']));
    expect(entries).toEqual([expect.objectContaining({ test: 't', step: 's', operation: 'APPLY', status: 'ERROR', lines: ['=== ERROR', 'admission webhook denied the request'] })]);
  });
});

describe('countsOf', () => {
  const operation = (failure?: string) => ({ name: 'op', type: 'script', ...(failure ? { failure: { error: failure } } : {}) });
  test('a test with any failed operation failed; skipped tests are not counted', () => {
    const report = {
      tests: [
        { name: 'a', steps: [{ name: 's', operations: [operation(), operation('exit status 1')] }] },
        { name: 'b', steps: [{ name: 's', operations: [operation()] }] },
        { name: 'c', skipped: true },
        { name: 'd' },
      ],
    };
    expect(countsOf(report)).toEqual({ passed: 2, failed: 1 });
    expect(countsOf({})).toEqual({ passed: 0, failed: 0 });
  });
});
