// `npx tsx bench/emulator-memory.ts [--messages N] [--channels N] [--gzip]`: the emulator (a child process,
// started through its CLI) generates and serves one export of N messages (default 1,000,000); this process
// downloads it over HTTP, counts message lines, discards the bytes, and samples the child's RSS.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { signToken } from '../emulator/index.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    channels: { type: 'string', default: '10' },
    gzip: { type: 'boolean', default: false },
  },
});
const channels = Number(values.channels);
const perChannel = Math.ceil(Number(values.messages) / channels);

/** Resident and peak resident memory of a process, in MiB, from /proc (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

const args = ['--import', 'tsx', 'emulator/cli.ts', '--channels', String(channels), '--messages-per-channel', String(perChannel), '--task-latency-ms', '0'];
const child = spawn(process.execPath, values.gzip ? [...args, '--gzip'] : args, { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
const { url, api_key: apiKey, api_secret: apiSecret } = JSON.parse(line) as { url: string; api_key: string; api_secret: string };
const headers = { authorization: signToken(apiSecret), 'stream-auth-type': 'jwt', 'content-type': 'application/json' };

const idle = memoryOf(child.pid as number);
const samples: number[] = [];
const sampler = setInterval(() => {
  const memory = memoryOf(child.pid as number);
  if (memory) samples.push(memory.rss);
}, 100);

const started = performance.now();
const cids = Array.from({ length: channels }, (_, i) => ({ cid: `${['messaging', 'livestream', 'team'][i % 3]}:channel-${String(i).padStart(4, '0')}` }));
const created = await fetch(`${url}/export_channels?api_key=${apiKey}`, {
  method: 'POST',
  headers,
  body: JSON.stringify({ channels: cids, version: 'v2', include_truncated_messages: true, include_soft_deleted_channels: true }),
});
const { task_id: taskId } = (await created.json()) as { task_id: string };
let task: { status: string; result?: { url: string } };
do {
  await new Promise((resolve) => setTimeout(resolve, 250));
  task = (await (await fetch(`${url}/tasks/${taskId}?api_key=${apiKey}`, { headers })).json()) as typeof task;
} while (task.status !== 'completed' && task.status !== 'failed');
if (!task.result) throw new Error(`export task ended ${task.status}`);
const generated = performance.now();

const marker = Buffer.from('\n{"type":"message"');
let bytes = 0;
let messages = 0;
let tail = Buffer.alloc(0);
const response = await fetch(task.result.url);
if (!response.body) throw new Error(`download answered ${response.status} without a body`);
for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
  bytes += chunk.length;
  if (values.gzip) continue;
  const window = Buffer.concat([tail, chunk]);
  for (let at = window.indexOf(marker); at !== -1; at = window.indexOf(marker, at + 1)) messages++;
  tail = window.subarray(Math.max(0, window.length - marker.length + 1));
}
const finished = performance.now();
clearInterval(sampler);
const final = memoryOf(child.pid as number);
child.kill('SIGTERM');
await once(child, 'exit');

const mib = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toFixed(0)} MiB`);
console.log(
  JSON.stringify(
    {
      messages: values.gzip ? `${channels * perChannel} (gzip: not counted)` : messages,
      bytes,
      seconds: {
        generate: ((generated - started) / 1000).toFixed(1),
        download: ((finished - generated) / 1000).toFixed(1),
        total: ((finished - started) / 1000).toFixed(1),
      },
      emulatorRss: { idle: mib(idle?.rss), sampledMax: mib(Math.max(...samples)), peak: mib(final?.peak) },
    },
    null,
    2,
  ),
);
