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
  // `npm install` installs the locked versions; `npm ci` would also insist on lock entries for other
  // platforms' optional rollup binaries (dev-only) that the registry does not always serve.
  console.error('Installing dependencies (npm install, from package-lock.json)…');
  execSync('npm install --no-audit --no-fund', { stdio: ['ignore', 'inherit', 'inherit'] });
}
