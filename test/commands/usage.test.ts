import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST_MAIN, ensureBuilt } from '../helpers/build.js';
import { onlyError, runCli } from '../helpers/cli.js';

beforeAll(ensureBuilt, 120_000);

describe.concurrent('command line', () => {
  it('prints the usage on --help and exits 0', () => {
    const result = spawnSync(process.execPath, [DIST_MAIN, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    for (const command of ['spec', 'check', 'discover', 'read', 'sync']) expect(result.stdout).toContain(`source-stream-chat ${command}`);
  });

  it("prints the package's version on --version", () => {
    const result = spawnSync(process.execPath, [DIST_MAIN, '--version'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('0.1.0\n');
  });

  const usageCases: Array<[string, string[], string]> = [
    ['no command', [], 'Missing command: one of spec, check, discover, read, sync'],
    ['an unknown command', ['frobnicate'], 'Unknown command: frobnicate (the commands are spec, check, discover, read, sync)'],
    ['check without --config', ['check'], 'Missing required argument: config'],
    ['--config without a value', ['discover', '--config'], 'Not enough arguments following: config'],
    ['read without --catalog', ['read', '--config', 'config.json'], 'Missing required argument: catalog'],
    ['an unknown flag', ['spec', '--verbose'], 'Unknown argument: verbose'],
  ];
  for (const [name, args, problem] of usageCases) {
    it(`rejects ${name}: usage on stderr, one config_error TRACE, exit 2`, async () => {
      const result = await runCli(args);
      expect(result.exitCode).toBe(2);
      expect(result.messages).toHaveLength(1);
      expect(onlyError(result)).toMatchObject({ failure_type: 'config_error', message: `Invalid command line: ${problem}` });
      expect(result.stderr).toContain(problem);
      expect(result.stderr).toContain('source-stream-chat');
    });
  }
});
