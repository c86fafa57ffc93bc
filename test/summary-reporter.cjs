// Prints one plain closing line, `jest: N passed, N failed`, after jest's own summary (on the same
// stream, stderr), so CI
// tools that read a run's last line see the counts whatever reporter they know.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stderr.write(
      `\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
    );
  }
}
module.exports = SummaryReporter;
