// Prints one plain closing line, `jest: N passed, N failed`, after jest's own summary and on the
// same stream (stderr), so tools that read a run's closing lines see the counts.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
    // jest prints its own summary after every custom reporter; at exit, this line comes last.
    process.once('exit', () => process.stderr.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;
