// `npm run bench:pace -- --latencies 1,10,60 --exports 30,100`: a first sync at the export quota. For each
// task latency (seconds) and number of exports, the emulator in its own process, one `read` of the
// channels stream (a few channels per export, so the files are small), timed from start to exit. The
// quota-bound time is exports × 60 / max_exports_per_minute plus one task's latency; the ratio is that
// over the time measured (1: the sync runs at the quota).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBenchEmulator } from './emulator-process-client.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    latencies: { type: 'string', default: '1,10,60' },
    exports: { type: 'string', default: '30,100' },
    'per-minute': { type: 'string', default: '60' },
    'poll-interval': { type: 'string', default: '1' },
    /** Another build of the connector (e.g. main's), to compare. */
    main: { type: 'string', default: join(ROOT, 'dist', 'main.js') },
  },
});
const perMinute = Number(values['per-minute']);
const CHANNELS_PER_EXPORT = 2;
// The emulator's data set leaves one channel in ten soft-deleted (never listed).
const channelsFor = (exports: number) => Math.ceil((exports * CHANNELS_PER_EXPORT) / 0.9);

const work = mkdtempSync(join(tmpdir(), 'source-stream-chat-pace-'));
writeFileSync(
  join(work, 'catalog.json'),
  JSON.stringify({
    streams: [
      { stream: { name: 'channels', json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' },
    ],
  }),
);

async function run(latencySeconds: number, wanted: number): Promise<void> {
  const emulator = await startBenchEmulator(['--channels', String(channelsFor(wanted)), '--task-latency-ms', String(latencySeconds * 1000)]);
  try {
    const config = join(work, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        api_key: emulator.api_key,
        api_secret: emulator.api_secret,
        base_url: emulator.url,
        channels_per_export: CHANNELS_PER_EXPORT,
        max_exports_per_minute: perMinute,
        poll_interval_seconds: Number(values['poll-interval']),
        settle_margin_seconds: 0,
      }),
    );
    const begin = process.hrtime.bigint();
    const child = spawn(process.execPath, [values.main, 'read', '--config', config, '--catalog', join(work, 'catalog.json')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
    if (exitCode !== 0) throw new Error(`the connector exited ${exitCode}`);
    const { exportsCreated, tasksPolled } = (await emulator.ask({ stats: true })) as { exportsCreated: number; tasksPolled: number };
    const bound = (exportsCreated * 60) / perMinute + latencySeconds;
    console.log(
      `${String(latencySeconds).padStart(9)} ${String(exportsCreated).padStart(8)} ${String(tasksPolled).padStart(6)} ${bound.toFixed(1).padStart(12)} ${seconds.toFixed(1).padStart(10)} ${(bound / seconds).toFixed(2).padStart(6)}`,
    );
  } finally {
    emulator.stop();
  }
}

try {
  console.log(`pace: ${values.main}, ${perMinute} exports a minute, poll_interval_seconds ${values['poll-interval']}`);
  console.log('latency s  exports  polls  quota-bound s  measured s  ratio');
  for (const latency of values.latencies.split(',').map(Number)) {
    for (const exports of values.exports.split(',').map(Number)) await run(latency, exports);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
