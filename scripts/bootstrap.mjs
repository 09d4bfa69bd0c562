// Installs the dependencies when node_modules is missing or older than package-lock.json,
// so `npm test` and `npm run demo` work from a fresh clone. Node built-ins only.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const lock = 'package-lock.json';
const installed = 'node_modules/.package-lock.json';

function fresh() {
  if (!existsSync(installed)) return false;
  const wanted = JSON.parse(readFileSync(lock, 'utf8')).packages ?? {};
  const have = JSON.parse(readFileSync(installed, 'utf8')).packages ?? {};
  return Object.entries(wanted).every(([path, pkg]) => path === '' || pkg.optional || have[path]?.version === pkg.version);
}

if (!fresh()) {
  console.error('Installing dependencies (npm ci, from package-lock.json)…');
  execSync('npm ci --no-audit --no-fund', { stdio: ['ignore', 'inherit', 'inherit'] });
}
