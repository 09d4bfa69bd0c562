// The plain Node pipeline the connector's read is measured against (issue 10), run by bench/read.ts as
// its own process: `node bench/baseline.ts URL...` downloads each v2 export file in turn (node:http,
// gunzipped when it is .gz), splits it into lines, JSON.parse-s each line and writes
// JSON.stringify of its RECORD envelope to stdout in writes of about 64 KB, waiting for 'drain'.
// No schema, no admission, no state: what any pipeline from these files to RECORD lines must do.
import { once } from 'node:events';
import { get, type IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

const CHUNK_CHARS = 64 * 1024;
const STREAMS: Record<string, string> = {
  channel: 'channels',
  member: 'members',
  channel_member: 'members',
  message: 'messages',
  reaction: 'reactions',
  user: 'users',
};

let out = '';
let full = false;

function write(): void {
  full = !process.stdout.write(out) || full;
  out = '';
}

function record(line: string): void {
  const { type, data } = JSON.parse(line) as { type: string; data: unknown };
  out += `${JSON.stringify({ type: 'RECORD', record: { stream: STREAMS[type] ?? type, data, emitted_at: Date.now() } })}\n`;
  if (out.length >= CHUNK_CHARS) write();
}

async function download(url: string): Promise<void> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => get(url, resolve).on('error', reject));
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode} for ${url}`);
  const body = new URL(url).pathname.endsWith('.gz') ? response.pipe(createGunzip()) : response;
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      if (end > start) record(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
    if (full) {
      await once(process.stdout, 'drain');
      full = false;
    }
  }
  if (rest !== '') record(rest);
}

for (const url of process.argv.slice(2)) await download(url);
write();
