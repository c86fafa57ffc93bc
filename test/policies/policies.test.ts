/**
 * Runs every case of every policies/<name>/kclguard-test.yaml through our KCL interpreter and
 * compares the outcome with the expectation, which scripts/policy-expectations.py verified
 * against the reference KCL. Cases our interpreter does not get right yet are listed in
 * known-failures.txt (`<policy>/<case name>  # reason`); that list only shrinks: a listed case
 * that passes fails the run until it is removed.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listPolicyNames, loadSuite } from './policy-suite.js';
import { compileSuite, judge, runCase } from './run-case.js';

const KNOWN_FAILURES_PATH = join(dirname(fileURLToPath(import.meta.url)), 'known-failures.txt');

function readKnownFailures(): Set<string> {
  if (!existsSync(KNOWN_FAILURES_PATH)) return new Set();
  return new Set(
    readFileSync(KNOWN_FAILURES_PATH, 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== ''),
  );
}

const known = readKnownFailures();
const suites = listPolicyNames().map((name) => compileSuite(loadSuite(name)));
const caseIds = new Set(suites.flatMap((s) => s.suite.testFile.cases.map((c) => `${s.suite.name}/${c.name}`)));

describe('example policies on our KCL interpreter', () => {
  test('known-failures.txt names only existing cases', () => {
    expect([...known].filter((id) => !caseIds.has(id))).toEqual([]);
  });

  describe.each(suites.map((s) => [s.suite.name, s] as const))('%s', (_name, compiled) => {
    test.each(compiled.suite.testFile.cases.map((c) => [c.name, c] as const))('%s', (_caseName, testCase) => {
      const id = `${compiled.suite.name}/${testCase.name}`;
      let problem: string | undefined;
      try {
        problem = judge(compiled, testCase, runCase(compiled, testCase));
      } catch (error) {
        // compile and run never throw by contract; a throw is this case's failure.
        problem = `threw: ${(error as Error).stack ?? String(error)}`;
      }
      if (known.has(id)) {
        expect({ id, passesButListedInKnownFailures: problem === undefined }).toEqual({
          id,
          passesButListedInKnownFailures: false,
        });
        return;
      }
      expect({ id, problem }).toEqual({ id, problem: undefined });
    });
  });
});
