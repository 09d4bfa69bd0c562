// `npm run bench:duckdb -- [--messages N] [--channels N] [--runs N]`: the same full read, side by side in
// one run against one emulator (in its own process): `read` with stdout to /dev/null, and `sync` into a
// fresh DuckDB file. Reports wall time, records/s and peak RSS of each, and what loading adds.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchEmulator } from './emulator-process-client.js';
import { median, processStats } from './process-stats.js';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'main.js');
const STREAMS = ['channels', 'members', 'messages', 'reactions', 'users'];
const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    channels: { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
  },
});
const channels = Number(values.channels);
const messagesPerChannel = Math.ceil(Number(values.messages) / channels);
const runs = Math.max(1, Number(values.runs));

interface Measure {
  seconds: number;
  peakMiB: number;
  exitCode: number | null;
  stdout: string;
}

/** Runs the connector with `args`; stdout to /dev/null, or kept when `keepStdout`. */
async function measure(args: string[], keepStdout: boolean): Promise<Measure> {
  const devNull = openSync('/dev/null', 'w');
  const begin = process.hrtime.bigint();
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', keepStdout ? 'pipe' : devNull, 'inherit'] });
  let peakMiB = 0;
  const sampler = setInterval(() => (peakMiB = Math.max(peakMiB, processStats(child.pid!)?.peakRssMiB ?? 0)), 50);
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(sampler);
  closeSync(devNull);
  return { seconds: Number(process.hrtime.bigint() - begin) / 1e9, peakMiB, exitCode, stdout };
}

/** The records column of sync's summary, summed. */
function recordsOf(summary: string): number {
  return summary
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => STREAMS.includes(cells[0] ?? ''))
    .reduce((sum, cells) => sum + Number((cells[1] ?? '0').replaceAll(',', '')), 0);
}

const emulator = await startBenchEmulator([
  '--seed',
  '3',
  '--channels',
  String(channels),
  '--messages-per-channel',
  String(messagesPerChannel),
  '--task-latency-ms',
  '100',
]);
const { url, api_key, api_secret } = emulator;

const work = mkdtempSync(join(tmpdir(), 'source-stream-chat-bench-duckdb-'));
const config = join(work, 'config.json');
const catalog = join(work, 'catalog.json');
writeFileSync(config, JSON.stringify({ api_key, api_secret, base_url: url, poll_interval_seconds: 0.2 }));
writeFileSync(
  catalog,
  JSON.stringify({
    streams: STREAMS.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: 'incremental',
      destination_sync_mode: 'append_dedup',
    })),
  }),
);

/** The 1-, 5- and 15-minute load averages: the machine is shared, so figures are read beside them. */
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
console.log(
  `${channels * messagesPerChannel} messages (${channels} channels), ${runs} run(s) of each, alternating; 2-core machine shared with the emulator; load average ${load()}\n`,
);
const reads: Measure[] = [];
const syncs: Measure[] = [];
let records = 0;
let fileMiB = 0;
try {
  for (let run = 1; run <= runs; run++) {
    const read = await measure(['read', '--config', config, '--catalog', catalog], false);
    if (read.exitCode !== 0) throw new Error(`read exited ${read.exitCode}`);
    reads.push(read);
    const database = join(work, `chat-${run}.duckdb`);
    const sync = await measure(['sync', '--config', config, '--duckdb', database], true);
    if (sync.exitCode !== 0) throw new Error(`sync exited ${sync.exitCode}:\n${sync.stdout}`);
    syncs.push(sync);
    records = recordsOf(sync.stdout);
    fileMiB = statSync(database).size / 1048576;
    rmSync(database, { force: true });
    console.log(
      `run ${run}: read to /dev/null ${read.seconds.toFixed(1)} s, peak RSS ${read.peakMiB.toFixed(0)} MiB; ` +
        `sync into DuckDB ${sync.seconds.toFixed(1)} s, peak RSS ${sync.peakMiB.toFixed(0)} MiB`,
    );
  }
} finally {
  emulator.stop();
  rmSync(work, { recursive: true, force: true });
}

const readSeconds = median(reads.map((m) => m.seconds));
const syncSeconds = median(syncs.map((m) => m.seconds));
const row = (what: string, seconds: number, peak: number) =>
  `  ${what.padEnd(26)} ${seconds.toFixed(1).padStart(6)} s ${Math.round(records / seconds)
    .toLocaleString('en-US')
    .padStart(9)} records/s ${peak.toFixed(0).padStart(6)} MiB`;
console.log(`\n${records.toLocaleString('en-US')} records; medians of ${runs} run(s)`);
console.log(`  ${'what'.padEnd(26)} ${'wall'.padStart(8)} ${'rate'.padStart(19)} ${'peak RSS'.padStart(10)}`);
console.log(row('read, stdout to /dev/null', readSeconds, Math.max(...reads.map((m) => m.peakMiB))));
console.log(row('sync into DuckDB', syncSeconds, Math.max(...syncs.map((m) => m.peakMiB))));
console.log(
  `\nloading adds ${(((syncSeconds - readSeconds) / readSeconds) * 100).toFixed(0)} % to the wall time (goal: at most 30 %); DuckDB file ${fileMiB.toFixed(0)} MiB; load average ${load()}`,
);
