// Throughput and memory of the per-line path (parseExport → toRecords), measured, not asserted
// tightly: run with `npx vitest run --config vitest.slow.config.ts test/export/parse-throughput.slow.test.ts`.
import { describe, expect, it } from 'vitest';
import { parseExport } from '../../src/export/parse-export.js';
import { toRecords } from '../../src/records/index.js';
import { sampleChannel, sampleMember, sampleMessage } from '../records/sample-entities.js';

const CID = 'messaging:bench';
const CHUNK_BYTES = 64 * 1024;

/** `count` message lines (wrapped v2, or the messages array of one v1 channel), generated lazily in 64 KiB chunks. */
async function* exportFile(format: 'v1' | 'v2', count: number): AsyncGenerator<Buffer> {
  const parts = JSON.stringify(sampleMessage(CID, '__ID__')).split('__ID__');
  const channel = JSON.stringify(sampleChannel('messaging', 'bench'));
  let pending =
    format === 'v2'
      ? `${JSON.stringify({ type: 'channel', data: JSON.parse(channel) })}\n`
      : `{"channel":${channel},"members":[${JSON.stringify(sampleMember('u1'))}],"messages":[`;
  for (let i = 0; i < count; i += 1) {
    const message = parts.join(`msg-${i}`);
    pending += format === 'v2' ? `{"type":"message","data":${message}}\n` : `${i === 0 ? '' : ','}${message}`;
    if (pending.length >= CHUNK_BYTES) {
      yield Buffer.from(pending);
      pending = '';
    }
  }
  yield Buffer.from(format === 'v2' ? pending : `${pending}]}`);
}

async function measure(format: 'v1' | 'v2', count: number) {
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let records = 0;
  let messages = 0;
  let peakHeap = 0;
  for await (const entity of parseExport(exportFile(format, count), format)) {
    for (const record of toRecords(entity)) {
      records += 1;
      if (record.stream === 'messages') messages += 1;
    }
    if (messages % 10_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result = {
    format,
    messages,
    records,
    seconds: Number(seconds.toFixed(2)),
    messagesPerSecond: Math.round(messages / seconds),
    recordsPerSecond: Math.round(records / seconds),
    // The machine may be shared: CPU time is the steadier figure.
    cpuSeconds: Number(cpuSeconds.toFixed(2)),
    recordsPerCpuSecond: Math.round(records / cpuSeconds),
    peakHeapMiB: Math.round(peakHeap / 2 ** 20),
  };
  console.log(JSON.stringify(result));
  return result;
}

describe('parseExport + toRecords throughput', () => {
  it('reads 100k v2 message lines', async () => {
    const result = await measure('v2', 100_000);
    expect(result.messages).toBe(100_000);
    expect(result.records).toBe(1 + 100_000 * 3);
  });

  it('reads a 100k-message v1 document with flat memory', async () => {
    const result = await measure('v1', 100_000);
    expect(result.messages).toBe(100_000);
    // The document is ~330 MB; holding it, or the message list, would take far more than this.
    expect(result.peakHeapMiB).toBeLessThan(200);
  });
});
