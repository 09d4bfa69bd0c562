// `npm run bench -- [--messages N] [--channels N] [--rounds N] [--format v2|v1] [--gzip]`: full reads of every
// stream against the emulator (in its own process), each followed by the plain pipeline of bench/baseline.ts
// over the very export files that read downloaded; both write into the same counting sink (this process).
// Prints, per round and as medians, records/s of both from their first record on and their ratio, the same per
// CPU-second of each process (steadier when other work shares the cores), and peak RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBenchEmulator } from './emulator-process-client.js';
import { median, processStats } from './process-stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    channels: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '5' },
    format: { type: 'string', default: 'v2' },
    gzip: { type: 'boolean', default: false },
  },
});
const channels = Number(values.channels);
const messagesPerChannel = Math.ceil(Number(values.messages) / channels);
const rounds = Number(values.rounds);
const RECORD_HEAD = Buffer.from('{"type":"RECORD","record":{"stream":"');
/** Enough of a line to hold RECORD_HEAD and any stream name. */
const HEAD_BYTES = RECORD_HEAD.length + 32;

interface Run {
  exitCode: number | null;
  records: number;
  counts: Record<string, number>;
  /** From the process start to its end. */
  seconds: number;
  /** From its first RECORD line of an export to its end: the download, parse and write, not the export tasks. */
  streamingSeconds: number;
  /** CPU time (user + system) it used over the same span. */
  streamingCpuSeconds: number;
  peakRssMiB: number;
}

/**
 * The sink both pipelines write into: counts RECORD lines per stream from the bytes, without
 * decoding them, so that it costs the machine little and the same for both.
 */
class CountingSink {
  readonly counts: Record<string, number> = {};
  firstRecordAt: bigint | undefined;

  constructor(private readonly onFirstRecord: () => void) {}

  /** The start of the current line, up to HEAD_BYTES. */
  private head: Buffer = Buffer.alloc(0);

  write(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(10, start);
      const stop = end === -1 ? chunk.length : end;
      if (this.head.length < HEAD_BYTES) {
        const piece = chunk.subarray(start, Math.min(stop, start + HEAD_BYTES - this.head.length));
        this.head = this.head.length === 0 ? piece : Buffer.concat([this.head, piece]);
      }
      if (end === -1) return;
      this.line(this.head);
      this.head = Buffer.alloc(0);
      start = end + 1;
    }
  }

  private line(head: Buffer): void {
    if (head.length < RECORD_HEAD.length || !head.subarray(0, RECORD_HEAD.length).equals(RECORD_HEAD)) return;
    const nameEnd = head.indexOf(34, RECORD_HEAD.length);
    const stream = head.toString('latin1', RECORD_HEAD.length, nameEnd === -1 ? head.length : nameEnd);
    // Users come from query users before any export is made: the clock starts with the first record of an export.
    if (this.firstRecordAt === undefined && stream !== 'users') {
      this.firstRecordAt = process.hrtime.bigint();
      this.onFirstRecord();
    }
    this.counts[stream] = (this.counts[stream] ?? 0) + 1;
  }
}

/** Runs a command whose stdout goes into a fresh CountingSink, sampling its peak RSS and CPU time. */
async function run(args: string[]): Promise<Run> {
  const begin = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let peak = 0;
  let cpu = 0;
  const sample = () => {
    const stats = processStats(child.pid!);
    if (stats === undefined) return;
    peak = Math.max(peak, stats.peakRssMiB);
    cpu = stats.cpuSeconds;
  };
  const sampler = setInterval(sample, 50);
  let cpuAtFirstRecord = 0;
  const sink = new CountingSink(() => {
    sample();
    cpuAtFirstRecord = cpu;
  });
  for await (const chunk of child.stdout) sink.write(chunk as Buffer);
  // Its stdout is closed: the process is at its very end, still there to be read.
  sample();
  const exitCode = await new Promise<number | null>((resolve) => (child.exitCode === null ? child.on('close', resolve) : resolve(child.exitCode)));
  clearInterval(sampler);
  const end = process.hrtime.bigint();
  const records = Object.values(sink.counts).reduce((a, b) => a + b, 0);
  return {
    exitCode,
    records,
    counts: sink.counts,
    seconds: Number(end - begin) / 1e9,
    streamingSeconds: Number(end - (sink.firstRecordAt ?? begin)) / 1e9,
    streamingCpuSeconds: cpu - cpuAtFirstRecord,
    peakRssMiB: peak,
  };
}

const rate = (run: Run) => run.records / run.streamingSeconds;
const cpuRate = (run: Run) => run.records / run.streamingCpuSeconds;
const thousands = (value: number) => Math.round(value).toLocaleString('en-US');

const emulator = await startBenchEmulator([
  '--seed',
  '3',
  '--channels',
  String(channels),
  '--messages-per-channel',
  String(messagesPerChannel),
  '--task-latency-ms',
  '100',
  ...(values.gzip ? ['--gzip'] : []),
]);
const { url, api_key, api_secret, ask } = emulator;

const work = mkdtempSync(join(tmpdir(), 'source-stream-chat-bench-'));
const streams = ['channels', 'members', 'messages', 'reactions', 'users'];
writeFileSync(join(work, 'config.json'), JSON.stringify({ api_key, api_secret, base_url: url, export_format: values.format, poll_interval_seconds: 0.2 }));
writeFileSync(
  join(work, 'catalog.json'),
  JSON.stringify({
    streams: streams.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh'] },
      sync_mode: 'full_refresh',
      destination_sync_mode: 'overwrite',
    })),
  }),
);
const connectorArgs = [join(ROOT, 'dist', 'main.js'), 'read', '--config', join(work, 'config.json'), '--catalog', join(work, 'catalog.json')];

console.log(
  `reading ${channels * messagesPerChannel} messages (${channels} channels, export ${values.format}${values.gzip ? ', gzip' : ''}), ${rounds} round(s)…`,
);
const results: Array<{ connector: Run; baseline?: Run }> = [];
const read = new Set<string>();
let failed = false;
for (let round = 1; round <= rounds; round += 1) {
  const connector = await run(connectorArgs);
  const files = ((await ask({ downloads: true })) as string[]).filter((file) => !read.has(file));
  for (const file of files) read.add(file);
  // The plain pipeline reads lines: it has nothing to compare with a v1 document.
  const baseline = values.format === 'v2' ? await run(['--import', 'tsx', join(ROOT, 'bench', 'baseline.ts'), ...files]) : undefined;
  failed ||= connector.exitCode !== 0 || (baseline !== undefined && baseline.exitCode !== 0);
  results.push({ connector, baseline });
  console.log(
    `round ${round}: connector ${thousands(connector.records)} records (${JSON.stringify(connector.counts)}) in ${connector.seconds.toFixed(1)} s, ` +
      `${thousands(rate(connector))} records/s from the first record (${thousands(cpuRate(connector))} per CPU-second), ` +
      `peak RSS ${connector.peakRssMiB.toFixed(0)} MiB, exit ${connector.exitCode}` +
      (baseline === undefined
        ? ''
        : `; baseline ${thousands(baseline.records)} records over the same ${files.length} file(s), ${thousands(rate(baseline))} records/s ` +
          `(${thousands(cpuRate(baseline))} per CPU-second), peak RSS ${baseline.peakRssMiB.toFixed(0)} MiB, exit ${baseline.exitCode}; ` +
          `ratio ${(rate(connector) / rate(baseline)).toFixed(2)}× (per CPU-second ${(cpuRate(connector) / cpuRate(baseline)).toFixed(2)}×)`),
  );
}
emulator.stop();
rmSync(work, { recursive: true, force: true });

const connectorRate = median(results.map(({ connector }) => rate(connector)));
const connectorCpuRate = median(results.map(({ connector }) => cpuRate(connector)));
const peak = Math.max(...results.map(({ connector }) => connector.peakRssMiB));
const compared = results.flatMap(({ connector, baseline }) => (baseline ? [{ connector, baseline }] : []));
const summary =
  compared.length === 0
    ? ''
    : `; baseline ${thousands(median(compared.map(({ baseline }) => rate(baseline))))} records/s ` +
      `(${thousands(median(compared.map(({ baseline }) => cpuRate(baseline))))} per CPU-second); ` +
      `ratio ${median(compared.map(({ connector, baseline }) => rate(connector) / rate(baseline))).toFixed(2)}× ` +
      `(per CPU-second ${median(compared.map(({ connector, baseline }) => cpuRate(connector) / cpuRate(baseline))).toFixed(2)}×; medians of the rounds' ratios)`;
console.log(
  `median of ${rounds}: connector ${thousands(connectorRate)} records/s (${thousands(connectorCpuRate)} per CPU-second), ` +
    `peak RSS ${peak.toFixed(0)} MiB (highest)${summary}`,
);
process.exit(failed ? 1 : 0);
