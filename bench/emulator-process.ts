// The emulator in its own process for benchmarks, driven through stdin: one JSON command a line
// ({"addMessages":[cid,count]}, {"stats":true}, {"cids":true}, {"downloads":true}: the URLs of the
// export files downloaded so far), one JSON answer a line on stdout. The first stdout line is
// {url, api_key, api_secret}. Options: --seed --channels --messages-per-channel --task-latency-ms --gzip.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startEmulator } from '../emulator/index.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '3' },
    channels: { type: 'string', default: '1000' },
    'messages-per-channel': { type: 'string', default: '1' },
    'task-latency-ms': { type: 'string', default: '100' },
    gzip: { type: 'boolean', default: false },
  },
});
const emulator = await startEmulator({
  seed: Number(values.seed),
  channels: Number(values.channels),
  messagesPerChannel: Number(values['messages-per-channel']),
  taskLatencyMs: Number(values['task-latency-ms']),
  gzip: values.gzip,
});
console.log(JSON.stringify({ url: emulator.url, api_key: emulator.apiKey, api_secret: emulator.apiSecret }));

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { addMessages?: [string, number]; stats?: true; cids?: true; downloads?: true };
  if (command.addMessages) console.log(JSON.stringify(emulator.data.addMessages(...command.addMessages).map((message) => message.id)));
  else if (command.stats) console.log(JSON.stringify(emulator.stats()));
  else if (command.cids) console.log(JSON.stringify([...emulator.data.channels()].map((channel) => channel.cid)));
  else if (command.downloads) {
    const served = emulator.downloadRequests().filter((request) => request.status === 200 || request.status === 206);
    console.log(JSON.stringify([...new Set(served.map((request) => new URL(request.url, emulator.downloadUrl).href))]));
  }
}
await emulator.close();
