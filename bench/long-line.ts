// `npx tsx bench/long-line.ts [MB] [--shape text|attachments]`: one wrapped v2 message line of MB megabytes
// (default 50) — its text, or its list of attachments, takes them all — generated in 64 KiB chunks and read
// through the connector's path: parseExport → toRecords → MessageWriter, into a sink that drops the bytes.
// Prints {megabytes, shape, records, seconds, cpuSeconds, peakRssMiB} as one JSON line; the peak RSS is this
// process's whole high-water mark. test/export/long-line.slow.test.ts runs it at two sizes.
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { parseExport } from '../src/export/parse-export.js';
import { MessageWriter } from '../src/protocol/writer.js';
import { toRecords } from '../src/records/index.js';

const CHUNK_BYTES = 64 * 1024;
const { values, positionals } = parseArgs({ allowPositionals: true, options: { shape: { type: 'string', default: 'text' } } });
const megabytes = Number(positionals[0] ?? 50);
const shape = values.shape === 'attachments' ? 'attachments' : 'text';

/** The line, a chunk at a time: never whole in memory here, so what is measured is the reader's. */
async function* line(): AsyncGenerator<Buffer> {
  const head =
    '{"type":"message","data":{"id":"m1","cid":"messaging:long","user":{"id":"u1"},"created_at":"2025-01-23T13:05:35.310709Z","updated_at":"2025-01-23T13:05:35.310709Z"';
  const unit = shape === 'text' ? 'é ' : '{"type":"image","image_url":"https://example.test/cat.png","fallback":"cat.png"},';
  const body = Buffer.from(unit.repeat(Math.floor(CHUNK_BYTES / Buffer.byteLength(unit))));
  yield Buffer.from(shape === 'text' ? `${head},"text":"` : `${head},"attachments":[`);
  for (let sent = 0; sent < megabytes * 1024 * 1024; sent += body.length) yield body;
  yield Buffer.from(shape === 'text' ? '"}}\n' : '{}]}}\n');
}

const writer = new MessageWriter(new Writable({ write: (_chunk, _encoding, done) => done() }));
const started = process.hrtime.bigint();
const cpu = process.cpuUsage();
let records = 0;
for await (const entity of parseExport(line(), 'v2')) {
  for (const record of toRecords(entity)) {
    records += 1;
    await writer.record(record.stream, record.data, record.json);
  }
}
await writer.flush();
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    megabytes,
    shape,
    records,
    seconds: Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)),
    cpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(3)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
