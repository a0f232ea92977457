// Prints one plain closing line ("jest: N passed, N failed, N skipped") that any CI can read.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numFailedTestSuites, numRuntimeErrorTestSuites } = results;
    const broken = numFailedTestSuites + numRuntimeErrorTestSuites;
    process.stdout.write(`\njest: ${numPassedTests} passed, ${numFailedTests + (numFailedTests === 0 ? broken : 0)} failed, ${numPendingTests + numTodoTests} skipped\n`);
  }
}
