// `npm run bench:channels -- --channels 100000,1000000 [--messages-per-channel 0] [--timeout-minutes 10]`:
// the peak memory of a first sync (every channel planned before the first export) as the app grows.
// runSync runs in-process against a fake Stream that generates its channels as they are listed and
// each export file from its request, into a writer that counts and discards. Each size runs in its own
// child process, so its peak RSS (VmHWM) is its own, beside a child that only loads the modules.
// Figures, not assertions: a child past its time limit is killed and the table says so. The npm script
// compiles it first (tsconfig.bench.json → bench-build/), so the children load compiled code under plain
// node, as the connector runs; `npx tsx bench/channels-memory.ts` runs it from source under tsx.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { parseConfig } from '../src/config.js';
import type { ConfiguredStream } from '../src/protocol/inputs.js';
import type { ChannelExportRequest, ChannelSummary, CompletedTask, StreamTime } from '../src/stream-api/client.js';
import { ExportFlow } from '../src/stream-api/export-flow.js';
import type { QueriedUser } from '../src/stream-api/users.js';
import type { SyncClient } from '../src/sync/export-job.js';
import { runSync } from '../src/sync/run-sync.js';
import type { SyncWriter } from '../src/sync/sync-writer.js';
import { processStats } from './process-stats.js';

const NOW = new Date('2026-06-10T00:00:00.000Z');
const FIRST_CREATED_MS = Date.parse('2020-01-01T00:00:00.000Z');
const HOUR_MS = 3_600_000;
const USERS = 3;
const STREAMS: ConfiguredStream[] = (['channels', 'members', 'messages', 'reactions', 'users'] as const).map((name) => ({ name, syncMode: 'incremental' }));
const SAMPLE_MS = 1_000;

/** What a child prints as its last stdout line. */
interface ChildResult {
  records: number;
  states: number;
  exports: number;
  /** From the start of runSync to its first export request: listing and planning. */
  planSeconds: number;
  seconds: number;
  /** Of the sync alone, loading the modules left out. */
  cpuSeconds: number;
  peakRssMiB: number;
}

/**
 * A Stream of `channels` channels that holds none of them: listed one at a time in cid order (every
 * filter ignored), each export file built from its request, everything completing at once.
 */
class GeneratedStream implements SyncClient {
  private readonly pending = new Map<string, ChannelExportRequest[]>();
  private readonly digits: number;
  exports = 0;
  firstExportAt: number | undefined;
  readonly exportFlow = new ExportFlow({ perMinute: Number.MAX_SAFE_INTEGER });

  constructor(
    private readonly channels: number,
    private readonly messagesPerChannel: number,
  ) {
    this.digits = Math.max(7, String(channels - 1).length);
  }

  async streamTime(): Promise<StreamTime> {
    return { date: NOW, receivedAt: NOW };
  }

  async *listChannels(): AsyncGenerator<ChannelSummary> {
    for (let n = 0; n < this.channels; n++) {
      const id = `ch-${String(n).padStart(this.digits, '0')}`;
      yield { cid: `messaging:${id}`, type: 'messaging', id, created_at: createdAt(n), updated_at: createdAt(n), last_message_at: lastMessageAt(n) };
    }
  }

  async exportChannels(requests: ChannelExportRequest[]): Promise<string> {
    this.firstExportAt ??= performance.now();
    this.exports += 1;
    const taskId = `task-${this.exports}`;
    this.pending.set(taskId, requests);
    return taskId;
  }

  async waitForTask(taskId: string): Promise<CompletedTask> {
    return { task_id: taskId, status: 'completed', result: { url: `fake://${taskId}` } };
  }

  async *download(taskId: string): AsyncGenerator<Buffer> {
    const requests = this.pending.get(taskId) ?? [];
    this.pending.delete(taskId);
    const lines: string[] = [];
    for (const { type, id } of requests) {
      const n = Number(id.slice(3));
      const cid = `${type}:${id}`;
      lines.push(JSON.stringify({ type: 'channel', data: { cid, type, id, created_at: createdAt(n), updated_at: createdAt(n), member_count: 0 } }));
      for (let m = 0; m < this.messagesPerChannel; m++) {
        const at = lastMessageAt(n);
        const user = { id: `u${m % USERS}`, created_at: createdAt(0), updated_at: createdAt(0) };
        lines.push(JSON.stringify({ type: 'message', data: { id: `m-${id}-${m}`, cid, type: 'regular', text: 'hi', created_at: at, updated_at: at, user } }));
      }
    }
    yield Buffer.from(`${lines.join('\n')}\n`);
  }

  async *listUsers(): AsyncGenerator<QueriedUser[]> {
    yield Array.from({ length: USERS }, (_, n) => ({ id: `u${n}`, role: 'user', created_at: createdAt(0), updated_at: createdAt(0) }));
  }

  async knownUserIds(): Promise<Set<string>> {
    return new Set();
  }
}

function createdAt(n: number): string {
  return new Date(FIRST_CREATED_MS + n * 1000).toISOString();
}

function lastMessageAt(n: number): string {
  return new Date(FIRST_CREATED_MS + n * 1000 + HOUR_MS).toISOString();
}

/** Counts what the sync writes and keeps none of it; never full. */
class CountingWriter implements SyncWriter {
  records = 0;
  states = 0;

  record(): undefined {
    this.records += 1;
  }

  state(): undefined {
    this.states += 1;
  }

  log(): undefined {}

  streamStatus(): undefined {}

  estimate(): undefined {}
}

async function runChild(channels: number, messagesPerChannel: number): Promise<ChildResult> {
  const config = parseConfig({
    api_key: 'bench',
    api_secret: 'bench',
    poll_interval_seconds: 0.001,
    channels_per_export: 100,
    max_concurrent_exports: 3,
    max_exports_per_minute: Number.MAX_SAFE_INTEGER,
  });
  const client = new GeneratedStream(channels, messagesPerChannel);
  const writer = new CountingWriter();
  const cpuBefore = processStats(process.pid)?.cpuSeconds ?? NaN;
  const started = performance.now();
  await runSync({ config, streams: STREAMS, state: new Map(), writer, client, signal: new AbortController().signal, now: NOW });
  const finished = performance.now();
  const stats = processStats(process.pid);
  return {
    records: writer.records,
    states: writer.states,
    exports: client.exports,
    planSeconds: ((client.firstExportAt ?? finished) - started) / 1000,
    seconds: (finished - started) / 1000,
    cpuSeconds: (stats?.cpuSeconds ?? NaN) - cpuBefore,
    peakRssMiB: stats?.peakRssMiB ?? NaN,
  };
}

/** How one child ended: its result, or why there is none (with the highest VmHWM seen while it ran). */
type Outcome<T = ChildResult> = { result: T } | { failure: string; peakSeenMiB: number };

/** Runs this script again with `args`; its last stdout line is its result. */
async function spawnChild<T>(args: string[], timeoutMs: number): Promise<Outcome<T>> {
  // Compiled (npm run bench:channels), children run plain node, as the connector does; from source, under tsx.
  const script = fileURLToPath(import.meta.url);
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid as number;
  let peakSeenMiB = 0;
  const sampler = setInterval(() => (peakSeenMiB = Math.max(peakSeenMiB, processStats(pid)?.peakRssMiB ?? 0)), SAMPLE_MS);
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
  let last = '';
  for await (const line of createInterface({ input: child.stdout })) last = line;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve([child.exitCode, child.signalCode]);
    else child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  clearInterval(sampler);
  clearTimeout(limit);
  if (timedOut) return { failure: `killed after ${timeoutMs / 60_000} min`, peakSeenMiB };
  if (code === 0) return { result: JSON.parse(last) as T };
  const why = /heap out of memory/.test(stderr) ? 'JavaScript heap out of memory' : (stderr.trim().split('\n').at(-1) ?? '');
  return { failure: `exited ${code ?? signal}: ${why}`, peakSeenMiB };
}

function table(rows: Array<{ channels: number; outcome: Outcome }>, baselineMiB: number, messagesPerChannel: number): string {
  const header = ['channels', 'msgs/ch', 'records', 'exports', 'plan s', 'total s', 'CPU s', 'peak RSS MiB', 'over baseline MiB', 'outcome'];
  const lines = rows.map(({ channels, outcome }) => {
    if ('failure' in outcome) {
      const seen = `≥ ${outcome.peakSeenMiB.toFixed(0)}`;
      return [channels, messagesPerChannel, '–', '–', '–', '–', '–', seen, `≥ ${(outcome.peakSeenMiB - baselineMiB).toFixed(0)}`, outcome.failure];
    }
    const { result } = outcome;
    return [
      channels,
      messagesPerChannel,
      result.records,
      result.exports,
      result.planSeconds.toFixed(1),
      result.seconds.toFixed(1),
      result.cpuSeconds.toFixed(1),
      result.peakRssMiB.toFixed(0),
      (result.peakRssMiB - baselineMiB).toFixed(0),
      'ok',
    ];
  });
  const cells = [header, header.map(() => '---'), ...lines].map((row) => row.map(String));
  return cells.map((row) => `| ${row.join(' | ')} |`).join('\n');
}

function load(): string {
  return loadavg()
    .map((average) => average.toFixed(2))
    .join(', ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      channels: { type: 'string', default: '100000,1000000' },
      'messages-per-channel': { type: 'string', default: '0' },
      'timeout-minutes': { type: 'string', default: '10' },
      child: { type: 'string' },
      baseline: { type: 'boolean', default: false },
    },
  });
  const messagesPerChannel = Number(values['messages-per-channel']);
  if (values.baseline) {
    console.log(JSON.stringify({ peakRssMiB: processStats(process.pid)?.peakRssMiB }));
    return;
  }
  if (values.child !== undefined) {
    console.log(JSON.stringify(await runChild(Number(values.child), messagesPerChannel)));
    return;
  }
  const sizes = values.channels.split(',').map(Number);
  const timeoutMs = Number(values['timeout-minutes']) * 60_000;
  if (sizes.some((size) => !Number.isInteger(size) || size < 1) || !(messagesPerChannel >= 0) || !(timeoutMs > 0)) {
    throw new Error('usage: npm run bench:channels -- --channels N[,N…] [--messages-per-channel M] [--timeout-minutes T]');
  }
  console.log(
    `node ${process.version}, heap limit ${(getHeapStatistics().heap_size_limit / 2 ** 20).toFixed(0)} MiB; ` +
      `first sync of the five streams, ${messagesPerChannel} message(s) per channel; load average at start ${load()}`,
  );
  const baseline = await spawnChild<{ peakRssMiB: number }>(['--baseline'], timeoutMs);
  if (!('result' in baseline)) throw new Error(`the baseline child failed: ${baseline.failure}`);
  const baselineMiB = baseline.result.peakRssMiB;
  console.log(`baseline (modules loaded, nothing run): peak RSS ${baselineMiB.toFixed(0)} MiB`);
  const rows: Array<{ channels: number; outcome: Outcome }> = [];
  for (const channels of sizes) {
    const outcome = await spawnChild<ChildResult>(['--child', String(channels), '--messages-per-channel', String(messagesPerChannel)], timeoutMs);
    rows.push({ channels, outcome });
    console.log(`${channels} channels: ${'result' in outcome ? `${outcome.result.seconds.toFixed(1)} s` : outcome.failure}`);
  }
  console.log(`\n${table(rows, baselineMiB, messagesPerChannel)}\n\nload average at end ${load()}`);
}

await main();
