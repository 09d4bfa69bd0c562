// bench/emulator-process.ts in a child process, for the benchmarks that run the connector against it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BenchEmulator {
  url: string;
  api_key: string;
  api_secret: string;
  /** Sends one command (see bench/emulator-process.ts) and resolves with its answer. */
  ask: (command: unknown) => Promise<unknown>;
  stop(): void;
}

/** Starts the emulator with these command-line options; resolves once it serves. */
export async function startBenchEmulator(options: string[]): Promise<BenchEmulator> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'emulator-process.ts'), ...options], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await answers.next()).value as string) as unknown;
  const { url, api_key, api_secret } = (await next()) as { url: string; api_key: string; api_secret: string };
  return {
    url,
    api_key,
    api_secret,
    ask: async (command) => {
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return next();
    },
    stop: () => child.kill('SIGTERM'),
  };
}
