// Downloads a generated JSONL export of [MB] megabytes (default 200), plain and gzip, through
// StreamApiClient.download + split2, and prints bytes, lines, seconds, MB/s and peak RSS.
// Usage: npx tsx bench/download-memory.ts [MB]
// The file is generated on the fly by a loopback server in a child process, so the RSS measured is the client's.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import split2 from 'split2';
import { StreamApiClient } from '../src/stream-api/client.js';

const LINE_LENGTH = 256;
const LINES_PER_BATCH = 4_096;
const MB = 1024 * 1024;

/** One batch of fixed-length JSONL message lines, numbered from `first`. */
function batch(first: number): Buffer {
  let text = '';
  for (let line = first; line < first + LINES_PER_BATCH; line += 1) {
    const head = `{"type":"message","data":{"id":"m${line}","cid":"messaging:c${line % 997}","user_id":"u${line % 7919}","created_at":"2025-01-23T13:05:35.310709Z","text":"`;
    text += `${head}${'x'.repeat(LINE_LENGTH - head.length - 4)}"}}\n`;
  }
  return Buffer.from(text);
}

function serve(totalBytes: number): void {
  const lines = Math.ceil(totalBytes / LINE_LENGTH / LINES_PER_BATCH) * LINES_PER_BATCH;
  const server = createServer((request, response) => {
    const gzip = request.url?.startsWith('/gzip') === true;
    response.writeHead(200, gzip ? { 'content-type': 'application/octet-stream' } : { 'content-length': String(lines * LINE_LENGTH) });
    async function* generate(): AsyncGenerator<Buffer> {
      for (let first = 0; first < lines; first += LINES_PER_BATCH) yield batch(first);
    }
    const source = Readable.from(generate());
    const stages = gzip ? pipeline(source, createGzip({ level: 1 }), response) : pipeline(source, response);
    stages.catch(() => undefined);
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port, lines }));
}

async function countLines(client: StreamApiClient, url: string, label: string, expectedLines: number): Promise<void> {
  global.gc?.();
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  let bytes = 0;
  let lines = 0;
  const started = performance.now();
  await pipeline(
    Readable.from(
      (async function* count(): AsyncGenerator<Buffer> {
        for await (const chunk of client.download(`bench-${label}`, url)) {
          bytes += chunk.length;
          yield chunk;
        }
      })(),
    ),
    split2(),
    new Writable({
      objectMode: true,
      write(_line: string, _encoding, done) {
        lines += 1;
        done();
      },
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (lines !== expectedLines) throw new Error(`${label}: counted ${lines} lines, expected ${expectedLines}`);
  console.log(
    `${label.padEnd(5)} bytes=${bytes} (${(bytes / MB).toFixed(1)} MB) lines=${lines} seconds=${seconds.toFixed(2)} ` +
      `MB/s=${(bytes / MB / seconds).toFixed(1)} rss start=${(startRss / MB).toFixed(1)} MB peak=${(peakRss / MB).toFixed(1)} MB`,
  );
}

async function main(): Promise<void> {
  const megabytes = Number(process.argv[2] ?? 200);
  if (!(megabytes > 0)) throw new Error(`usage: npx tsx bench/download-memory.ts [MB], got ${process.argv[2]}`);
  const child = fork(process.argv[1] as string, ['--serve', String(megabytes)], { execArgv: process.execArgv, stdio: 'inherit' });
  const { port, lines } = await new Promise<{ port: number; lines: number }>((resolve) => child.once('message', resolve));
  const client = new StreamApiClient({ apiKey: 'bench', apiSecret: 'bench', baseUrl: `http://127.0.0.1:${port}` });
  try {
    console.log(`node ${process.version}, ${megabytes} MB export (${lines} lines of ${LINE_LENGTH} bytes)`);
    await countLines(client, `http://127.0.0.1:${port}/plain`, 'plain', lines);
    await countLines(client, `http://127.0.0.1:${port}/gzip`, 'gzip', lines);
  } finally {
    await client.close();
    child.kill();
  }
}

if (process.argv[2] === '--serve') serve(Number(process.argv[3]) * MB);
else await main();
