/**
 * The KCL conformance corpus: every test/conformance/<feature>/<case>/main.k is compiled and run
 * through our library, and its outcome compared with the golden the reference KCL produced
 * (scripts/regen-goldens.py). Rules: docs/conformance.md.
 *
 * Environment:
 *   KCLGUARD_WRITE_KNOWN_FAILURES=1  rewrite known-failures.txt from this run (baseline only;
 *                                    CI never sets it)
 *   KCLGUARD_UPDATE_GOLDENS=1        regenerate every golden from the reference first (needs
 *                                    python3; `npm run test:update-goldens`)
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { judgeError, judgeStdout, type Verdict } from './compare.js';
import { findCaseIds, loadCase, oneLine, readKnownFailures, writeKnownFailures } from './corpus.js';
import { runCase } from './harness.js';

const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));
const KNOWN_FAILURES_PATH = join(CORPUS_DIR, 'known-failures.txt');
const REGEN_SCRIPT = join(CORPUS_DIR, '..', '..', 'scripts', 'regen-goldens.py');
const WRITE_KNOWN = process.env.KCLGUARD_WRITE_KNOWN_FAILURES === '1';
const UPDATE_GOLDENS = process.env.KCLGUARD_UPDATE_GOLDENS === '1';

const caseIds = findCaseIds(CORPUS_DIR);
const known = readKnownFailures(KNOWN_FAILURES_PATH);
const failures = new Map<string, string>();
let passed = 0;

function evaluate(id: string): Verdict {
  try {
    const c = loadCase(CORPUS_DIR, id);
    const actual = runCase(c);
    return c.expected.kind === 'stdout'
      ? judgeStdout(c.expected.text, actual)
      : judgeError(c.expected.errors, actual);
  } catch (error) {
    // compile/run must never throw; a throw is a failure of this case, not of the whole run.
    return { pass: false, reason: `threw: ${(error as Error).message}` };
  }
}

beforeAll(() => {
  if (!UPDATE_GOLDENS) return;
  const result = spawnSync('python3', [REGEN_SCRIPT], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${REGEN_SCRIPT} failed (exit ${result.status})`);
}, 600_000);

describe('KCL conformance corpus', () => {
  test('has at least 400 cases', () => {
    expect(caseIds.length).toBeGreaterThanOrEqual(400);
  });

  test('known-failures.txt names only existing cases', () => {
    const ids = new Set(caseIds);
    expect([...known.keys()].filter((id) => !ids.has(id))).toEqual([]);
  });

  test.each(caseIds)('%s', (id) => {
    const verdict = evaluate(id);
    if (verdict.pass) {
      passed++;
      if (WRITE_KNOWN) return;
      // The list only shrinks: a listed case that passes must be removed from it.
      expect({ id, passesButListedInKnownFailures: known.has(id) }).toEqual({
        id,
        passesButListedInKnownFailures: false,
      });
      return;
    }
    failures.set(id, verdict.reason);
    if (WRITE_KNOWN || known.has(id)) return;
    expect({ id, reason: oneLine(verdict.reason, 400) }).toEqual({ id, reason: 'passes' });
  });
});

afterAll(() => {
  const knownFailing = [...failures.keys()].filter((id) => known.has(id)).length;
  if (WRITE_KNOWN) {
    writeKnownFailures(KNOWN_FAILURES_PATH, failures);
    process.stdout.write(`conformance: wrote ${failures.size} entries to ${KNOWN_FAILURES_PATH}\n`);
  }
  process.stdout.write(`conformance: ${passed} passed, ${failures.size} failed (${knownFailing} known)\n`);
});
