// Builds dist/ for tests that run the CLI, once, and only when a source file is newer than it.
// `npm test` builds before vitest starts, so there this finds dist/ fresh and does nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST_MAIN = join(REPO_ROOT, 'dist', 'main.js');
const LOCK = join(REPO_ROOT, 'dist', '.build-lock');
const LOCK_STALE_MS = 120_000;

export async function ensureBuilt(): Promise<void> {
  while (!isFresh()) {
    if (takeLock()) {
      try {
        // tsc still emits when another engineer's file has a type error; the CLI is what matters here.
        execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO_ROOT, stdio: 'ignore' });
      } catch {
        if (!existsSync(DIST_MAIN)) throw new Error('tsc did not produce dist/main.js');
      } finally {
        rmdirSync(LOCK);
      }
      return;
    }
    await new Promise((done) => setTimeout(done, 200));
  }
}

function isFresh(): boolean {
  if (!existsSync(DIST_MAIN) || existsSync(LOCK)) return false;
  const built = statSync(DIST_MAIN).mtimeMs;
  return newestMtime(join(REPO_ROOT, 'src')) <= built;
}

function takeLock(): boolean {
  mkdirSync(dirname(LOCK), { recursive: true });
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    // A build that died long ago left its lock behind.
    const age = existsSync(LOCK) ? Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs : 0;
    if (age > LOCK_STALE_MS) rmdirSync(LOCK);
    return false;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
