import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { signToken } from '../../emulator/index.js';

describe('emulator/cli.ts', () => {
  it('prints {url, api_key, api_secret} first, applies fault flags, and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'emulator/cli.ts', '--channels', '2', '--seed', '9', '--rate-limit', '1', '--api-key', 'cli-key'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const [first] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const printed = JSON.parse(first) as Record<string, string>;
      expect(Object.keys(printed)).toEqual(['url', 'api_key', 'api_secret']);
      expect(printed.api_key).toBe('cli-key');
      expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const call = () =>
        fetch(`${printed.url}/channels?api_key=cli-key`, {
          method: 'POST',
          headers: { authorization: signToken(printed.api_secret as string), 'stream-auth-type': 'jwt', 'content-type': 'application/json' },
          body: JSON.stringify({ filter_conditions: {} }),
        });
      expect((await call()).status).toBe(429);
      const response = await call();
      expect(response.status).toBe(201);
      expect(((await response.json()) as { channels: unknown[] }).channels).toHaveLength(2);

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
