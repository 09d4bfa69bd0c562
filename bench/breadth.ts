// `npm run bench:breadth -- --channels N --active K`: what an incremental sync costs as the app grows.
// The emulator runs in its own process. A first sync of every channel, then K channels get a message,
// then the second sync twice from the same state, side by side: planned by activity (the default) and
// with full_sweep_interval_hours 0 (every channel, as version 0.1.0 did). Prints export requests, API
// calls, state bytes and wall time of each second sync.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBenchEmulator } from './emulator-process-client.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { channels: { type: 'string', default: '1000' }, active: { type: 'string', default: '10' } } });
const channels = Number(values.channels);
const active = Number(values.active);

const emulator = await startBenchEmulator(['--channels', String(channels)]);
const { url, api_key, api_secret, ask } = emulator;

const work = mkdtempSync(join(tmpdir(), 'source-stream-chat-breadth-'));
const streams = ['channels', 'members', 'messages', 'reactions', 'users'];
writeFileSync(
  join(work, 'catalog.json'),
  JSON.stringify({
    streams: streams.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ['incremental'] },
      sync_mode: 'incremental',
      destination_sync_mode: 'append',
    })),
  }),
);

interface SyncResult {
  exports: number;
  calls: number;
  stateBytes: number;
  seconds: number;
  records: number;
  state: unknown[];
}

/** One read; the first sync may create exports faster than the quota pacing (it is setup, not measured). */
async function sync(name: string, config: Record<string, unknown>, state?: unknown[]): Promise<SyncResult> {
  writeFileSync(join(work, `${name}.config.json`), JSON.stringify({ api_key, api_secret, base_url: url, poll_interval_seconds: 0.2, ...config }));
  const args = [join(ROOT, 'dist', 'main.js'), 'read', '--config', join(work, `${name}.config.json`), '--catalog', join(work, 'catalog.json')];
  if (state) {
    writeFileSync(join(work, `${name}.state.json`), JSON.stringify(state));
    args.push('--state', join(work, `${name}.state.json`));
  }
  const before = (await ask({ stats: true })) as { requests: number; exportsCreated: number };
  const begin = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const states = new Map<string, unknown>();
  let records = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('{"type":"RECORD"')) {
      records += 1;
      continue;
    }
    const message = JSON.parse(line) as { type: string; state?: { stream: { stream_descriptor: { name: string } } } };
    if (message.type === 'STATE' && message.state) states.set(message.state.stream.stream_descriptor.name, { type: 'STREAM', stream: message.state.stream });
  }
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (exitCode !== 0) throw new Error(`${name}: the connector exited ${exitCode}`);
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
  const after = (await ask({ stats: true })) as { requests: number; exportsCreated: number };
  const lastStates = [...states.values()];
  return {
    exports: after.exportsCreated - before.exportsCreated,
    calls: after.requests - before.requests,
    stateBytes: JSON.stringify(lastStates).length,
    seconds,
    records,
    state: lastStates,
  };
}

try {
  console.log(`breadth: ${channels} channels, ${active} of them active between two syncs`);
  const first = await sync('first', { max_exports_per_minute: 100_000, max_concurrent_exports: 10 });
  console.log(
    `first sync: ${first.records} records, ${first.exports} exports, ${first.calls} API calls, state ${first.stateBytes} bytes, ${first.seconds.toFixed(1)} s`,
  );
  const cids = (await ask({ cids: true })) as string[];
  const step = Math.max(1, Math.floor(cids.length / active));
  for (let i = 0; i < active; i++) await ask({ addMessages: [cids[i * step], 1] });

  const byActivity = await sync('activity', {}, first.state);
  const everyChannel = await sync('sweep', { full_sweep_interval_hours: 0, max_exports_per_minute: 100_000, max_concurrent_exports: 10 }, first.state);
  const row = (label: string, result: SyncResult) =>
    `${label.padEnd(34)} ${String(result.exports).padStart(8)} ${String(result.calls).padStart(10)} ${String(result.stateBytes).padStart(12)} ${result.seconds.toFixed(1).padStart(9)} ${String(result.records).padStart(9)}`;
  console.log(`\nsecond sync (${active} active channels)     exports  API calls  state bytes  wall (s)   records`);
  console.log(row('by activity (default)', byActivity));
  console.log(row('every channel (sweep interval 0)*', everyChannel));
  console.log(
    '* its export pacing lifted for the benchmark; at the default 30 exports a minute it would take at least ' + `${Math.ceil(everyChannel.exports / 30)} min`,
  );
} finally {
  emulator.stop();
  rmSync(work, { recursive: true, force: true });
}
