// `npm test`: install if needed, build, run vitest, and end with the plain line "N passed, M failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  return result.status ?? 1;
}

if (run('node', ['scripts/bootstrap.mjs']) !== 0) process.exit(1);
// Build dist/ (the CLI tests run it), then type-check everything else: tests, emulator, scripts, benchmarks.
// Then lint (type-aware ESLint and the formatter's check).
for (const [command, ...args] of [
  ['npx', 'tsc', '-p', 'tsconfig.json'],
  ['npx', 'tsc', '-p', 'tsconfig.dev.json', '--noEmit'],
  ['npm', 'run', '--silent', 'lint'],
]) {
  if (run(command, args) !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const results = '.vitest-results.json';
rmSync(results, { force: true });
const config = process.argv.includes('--slow') ? ['--config', 'vitest.slow.config.ts'] : [];
const passthrough = process.argv.slice(2).filter((arg) => arg !== '--slow');
const status = run('npx', ['vitest', 'run', ...config, '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...passthrough]);

let passed = 0;
let failed = 0;
if (existsSync(results)) {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + (status !== 0 && (report.numFailedTests ?? 0) === 0 ? 1 : 0);
} else if (status !== 0) {
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 && passed > 0 ? 0 : 1);
