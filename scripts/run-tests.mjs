#!/usr/bin/env node
// Runs the whole suite: build the apps (integration tests run the built processes), then Vitest,
// then prints one plain "N passed, N failed, N skipped" line that CI summaries can read.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;

if (!process.argv.includes('--no-build') && run('npm', ['run', '--silent', 'build']) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync('.tmp', { recursive: true });
const report = '.tmp/vitest-report.json';
rmSync(report, { force: true });
const passthrough = process.argv.slice(2).filter((a) => a !== '--no-build');
const status = run('npx', [
  'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...passthrough,
]);
let passed = 0, failed = 0, skipped = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  failed = r.numFailedTests ?? 0;
  // A suite that fails to load has no failed tests of its own; still count it.
  if (status !== 0 && failed === 0) failed = r.numFailedTestSuites || 1;
} else if (status !== 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status);
