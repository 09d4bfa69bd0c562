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

  it('applies --clock-offset-ms, --channels-created-at, --rate-limit-text and --retry-after', async () => {
    const flags = [
      '--channels',
      '3',
      '--clock-offset-ms',
      '-120000',
      '--channels-created-at',
      '2024-02-02T00:00:00Z',
      '--rate-limit',
      '1',
      '--rate-limit-text',
      '--retry-after',
      '4',
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [first] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const printed = JSON.parse(first) as Record<string, string>;
      const call = () =>
        fetch(`${printed.url}/channels?api_key=${printed.api_key}`, {
          method: 'POST',
          headers: { authorization: signToken(printed.api_secret as string), 'stream-auth-type': 'jwt', 'content-type': 'application/json' },
          body: JSON.stringify({ filter_conditions: {}, sort: [{ field: 'created_at', direction: 1 }] }),
        });
      const limited = await call();
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('4');
      expect(await limited.text()).toBe('Too Many Requests');
      const response = await call();
      const shifted = Date.parse(response.headers.get('date') as string) - Date.now();
      expect(shifted).toBeGreaterThan(-125_000);
      expect(shifted).toBeLessThan(-115_000);
      const body = (await response.json()) as { channels: { channel: { created_at: string } }[] };
      expect(body.channels.map((state) => state.channel.created_at)).toEqual(Array(3).fill('2024-02-02T00:00:00Z'));
      child.kill('SIGTERM');
      expect(((await once(child, 'exit')) as [number | null])[0]).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('applies --imported-with-message, --imported-without-message, --imported-created-at, --user-id-style, --no-short-pages and the budget flags', async () => {
    const flags = ['--channels', '0', '--users', '10', '--lonely-users', '0', '--user-id-style', 'mixed', '--no-short-pages'];
    flags.push('--budget-limit-ms', '5000', '--budget-own-users-share', '0.5', '--no-per-second-limits');
    const imported = ['--imported-with-message', '3', '--imported-without-message', '2', '--imported-created-at', '2024-03-03T00:00:00Z'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', ...flags, ...imported], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [first] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const printed = JSON.parse(first) as Record<string, string>;
      const headers = { authorization: signToken(printed.api_secret as string), 'stream-auth-type': 'jwt', 'content-type': 'application/json' };
      const channels = await fetch(`${printed.url}/channels?api_key=${printed.api_key}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ filter_conditions: {} }),
      });
      expect(['x-budget-used-ms', 'x-budget-limit-ms'].map((name) => channels.headers.get(name))).toEqual(['2510', '5000']);
      const states = ((await channels.json()) as { channels: { channel: Record<string, unknown> }[] }).channels;
      expect(states).toHaveLength(5);
      expect(states.filter((state) => state.channel.last_message_at !== undefined)).toHaveLength(3);
      expect(new Set(states.map((state) => state.channel.created_at))).toEqual(new Set(['2024-03-03T00:00:00Z']));
      const payload = encodeURIComponent(JSON.stringify({ filter_conditions: {}, sort: [{ field: 'id', direction: 1 }] }));
      const users = (
        (await (await fetch(`${printed.url}/users?api_key=${printed.api_key}&payload=${payload}`, { headers })).json()) as { users: { id: string }[] }
      ).users;
      expect(users.map((user) => user.id)).toContain('User-000-a');
      child.kill('SIGTERM');
      expect(((await once(child, 'exit')) as [number | null])[0]).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
