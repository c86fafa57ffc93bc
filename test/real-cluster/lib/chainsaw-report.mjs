/**
 * What run.sh takes from a Chainsaw run: how many tests passed and failed (from the JSON report,
 * `chainsaw test --report-format JSON`), and each failed operation with its error and the output
 * logged just before it (from Chainsaw's own log). The CI log keeps only the tail of the output,
 * so run.sh repeats the failures just before its summary line.
 *
 *   node test/real-cluster/lib/chainsaw-report.mjs counts REPORT.json   -> "PASSED FAILED"
 *   node test/real-cluster/lib/chainsaw-report.mjs failures OUTPUT.log  -> one block per failure
 *
 * The JSON report (Chainsaw v0.2.12, pkg/report/json.go) carries only the error of a failed
 * operation — for a script, `exit status 1` — so its stderr comes from the log: an entry is a line
 * `| time | test | step | OPERATION | STATUS | message` followed by the indented lines of its
 * sections (`=== STDERR`, `=== ERROR`), and a script logs its output (LOG) before its ERROR.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Lines kept of one log entry (its last ones: where an error message usually is). */
export const MAX_ENTRY_LINES = 20;
/** Characters kept of one line. */
export const MAX_LINE_CHARS = 300;
/** Failed operations listed at most; the rest are counted. */
export const MAX_FAILURES = 10;

/** Tests run (skipped ones left out) that passed, and those with a failed operation. */
export function countsOf(report) {
  const tests = (report?.tests ?? []).filter((test) => !test.skipped);
  const failed = tests.filter((test) => (test.steps ?? []).some((step) => (step.operations ?? []).some((operation) => operation.failure))).length;
  return { passed: tests.length - failed, failed };
}

const ENTRY = /\|\s*(\d\d:\d\d:\d\d)\s*\|([^|]*)\|([^|]*)\|\s*([A-Z]+)\s*\|\s*([A-Z]+)\s*\|(.*)$/;
// Terminal colours, which Chainsaw writes unless told otherwise.
const COLOUR = /\x1b\[[0-9;]*m/g;
const GO_TEST_OUTPUT = /^\s*(--- (FAIL|PASS|SKIP):|=== (RUN|CONT|PAUSE|NAME)\s)/;

/** The log's entries: { test, step, operation, status, message, lines } in order. */
export function logEntries(text) {
  const entries = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(COLOUR, '').replace(/\s+$/, '');
    const match = ENTRY.exec(line);
    if (match) {
      const [, , test, step, operation, status, message] = match;
      entries.push({ test: test.trim(), step: step.trim(), operation, status, message: message.trim(), lines: [] });
    } else if (GO_TEST_OUTPUT.test(line) || !/^\s/.test(line)) {
      // Go's test output (`--- FAIL: chainsaw/...`, `PASS`) ends an entry's sections.
      entries.push({ test: '', step: '', operation: '', status: '', message: '', lines: [] });
    } else if (entries.length > 0 && line.trim() !== '') {
      entries[entries.length - 1].lines.push(line.trim());
    }
  }
  return entries.filter((entry) => entry.status !== '');
}

const clip = (line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);
const tail = (lines) => (lines.length > MAX_ENTRY_LINES ? ['…', ...lines.slice(-MAX_ENTRY_LINES)] : lines).map(clip);

/** Each ERROR or FAIL entry with the output its operation logged just before, as text. */
export function describeFailures(text) {
  const entries = logEntries(text);
  const blocks = [];
  entries.forEach((entry, index) => {
    if (entry.status !== 'ERROR' && entry.status !== 'FAIL') return;
    const same = (other) => other.test === entry.test && other.step === entry.step && other.operation === entry.operation;
    const before = entries.slice(0, index).reverse().find(same);
    const output = before?.status === 'LOG' ? tail(before.lines) : [];
    blocks.push(
      [`${entry.test} / ${entry.step} / ${entry.operation} ${entry.status}${entry.message ? `: ${clip(entry.message)}` : ''}`, ...[...output, ...tail(entry.lines)].map((l) => `    ${l}`)].join('\n'),
    );
  });
  const shown = blocks.slice(0, MAX_FAILURES);
  if (blocks.length > MAX_FAILURES) shown.push(`... and ${blocks.length - MAX_FAILURES} more failed operations`);
  return shown.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, file] = process.argv.slice(2);
  if (command === 'counts') {
    const { passed, failed } = countsOf(JSON.parse(readFileSync(file, 'utf8')));
    console.log(`${passed} ${failed}`);
  } else if (command === 'failures') {
    const text = describeFailures(readFileSync(file, 'utf8'));
    if (text) console.log(text);
  } else {
    console.error('usage: chainsaw-report.mjs counts REPORT.json | failures OUTPUT.log');
    process.exit(2);
  }
}
