// `npm run bench -- [--messages N] [--channels N] [--format v2|v1] [--gzip]`: one full read of every stream
// against the emulator (in its own process), reporting records/s and the connector's peak RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    channels: { type: 'string', default: '50' },
    format: { type: 'string', default: 'v2' },
    gzip: { type: 'boolean', default: false },
  },
});
const channels = Number(values.channels);
const messagesPerChannel = Math.ceil(Number(values.messages) / channels);

/** VmHWM: the highest resident set size the process has had, in MiB (Linux). */
function peakRssMiB(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const emulatorArgs = ['--import', 'tsx', join(ROOT, 'emulator', 'cli.ts'), '--seed', '3', '--channels', String(channels),
  '--messages-per-channel', String(messagesPerChannel), '--task-latency-ms', '100', ...(values.gzip ? ['--gzip'] : [])];
const emulator = spawn(process.execPath, emulatorArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
const lines = createInterface({ input: emulator.stdout! });
const [first] = await lines[Symbol.asyncIterator]().next().then((result) => [result.value as string]);
const { url, api_key, api_secret } = JSON.parse(first!) as { url: string; api_key: string; api_secret: string };

const work = mkdtempSync(join(tmpdir(), 'source-stream-chat-bench-'));
const streams = ['channels', 'members', 'messages', 'reactions', 'users'];
writeFileSync(join(work, 'config.json'), JSON.stringify({ api_key, api_secret, base_url: url, export_format: values.format, poll_interval_seconds: 0.2 }));
writeFileSync(join(work, 'catalog.json'), JSON.stringify({
  streams: streams.map((name) => ({ stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' })),
}));

console.log(`reading ${channels * messagesPerChannel} messages (${channels} channels, export ${values.format}${values.gzip ? ', gzip' : ''})…`);
const begin = process.hrtime.bigint();
const connector = spawn(process.execPath, [join(ROOT, 'dist', 'main.js'), 'read', '--config', join(work, 'config.json'), '--catalog', join(work, 'catalog.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, peakRssMiB(connector.pid!) ?? 0)), 50);
const counts: Record<string, number> = {};
let firstRecordAt: bigint | undefined;
for await (const line of createInterface({ input: connector.stdout! })) {
  if (!line.startsWith('{"type":"RECORD"')) continue;
  firstRecordAt ??= process.hrtime.bigint();
  const stream = /"stream":"(\w+)"/.exec(line)?.[1] ?? '?';
  counts[stream] = (counts[stream] ?? 0) + 1;
}
const exitCode = await new Promise<number | null>((resolve) => connector.on('close', resolve));
clearInterval(sampler);
const end = process.hrtime.bigint();
emulator.kill('SIGTERM');
rmSync(work, { recursive: true, force: true });

const seconds = Number(end - begin) / 1e9;
const streamingSeconds = Number(end - (firstRecordAt ?? begin)) / 1e9;
const records = Object.values(counts).reduce((a, b) => a + b, 0);
console.log(JSON.stringify(counts));
console.log(`exit ${exitCode}; ${records} records in ${seconds.toFixed(1)} s: ${Math.round(records / seconds)} records/s overall, ` +
  `${Math.round(records / streamingSeconds)} records/s from the first record on (the rest is the export tasks); ` +
  `${Math.round((counts.messages ?? 0) / seconds)} messages/s; connector peak RSS ${peak.toFixed(0)} MiB`);
process.exit(exitCode === 0 ? 0 : 1);
