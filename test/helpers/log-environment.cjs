// Jest's node environment, plus the app logs of each test kept in memory (see test-log.ts) and printed
// only when that test fails: `npm test` stays quiet, a failure still shows what the app said.
// TEST_LOGS=1 prints them as they come instead.
const { TestEnvironment } = require("jest-environment-node");

class LogEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    if (event.name === "test_start") this.global.__appLogs = [];
    if (event.name === "test_done" && event.test.errors.length > 0) {
      const logs = this.global.__appLogs ?? [];
      if (logs.length > 0) process.stderr.write(`\napp logs of "${event.test.name}" (failed):\n${logs.join("")}\n`);
    }
  }
}

module.exports = LogEnvironment;
