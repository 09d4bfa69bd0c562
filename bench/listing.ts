// `npm run bench:listing [-- --repo DIR]`: the query channels requests a full listing makes, by shape of
// app: channels created one by one (20,000 and 100,000), 20,000 sharing one created_at (each with its own
// last message), and a bulk import of 2,500 (1,400 with one message each, 1,100 without, of one
// updated_at, members from 60 users). `--repo` runs the same against another checkout's client and
// emulator (an older commit, to compare); one without bulk imports gets its 2,500 channels from
// `data.addChannels` (one created_at, no message). The API budget is set out of the way: this counts
// requests, not waits.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';

const { values } = parseArgs({ options: { repo: { type: 'string', default: '.' }, only: { type: 'string' } } });
const repo = resolve(values.repo);

interface Case {
  name: string;
  options: Record<string, unknown>;
  /** For an emulator without bulk imports. */
  fallback?: (emulator: { data: { addChannels(options: Record<string, unknown>): string[] } }) => unknown;
}

const CREATED = '2025-01-01T00:00:00Z';
const cases: Case[] = [
  { name: '20,000 channels created one by one', options: { channels: 20_000, messagesPerChannel: 1 } },
  { name: '20,000 channels of one created_at', options: { channels: 20_000, messagesPerChannel: 1, channelsCreatedAt: CREATED } },
  { name: '100,000 channels created one by one', options: { channels: 100_000, messagesPerChannel: 1 } },
  {
    name: 'a bulk import of 2,500 channels',
    options: { channels: 0, usersCount: 60, lonelyUsers: 0, importedChannels: { withMessage: 1_400, withoutMessage: 1_100, createdAt: CREATED } },
    fallback: (emulator) => emulator.data.addChannels({ count: 2_500, createdAt: CREATED }),
  },
];

type Emulator = { url: string; apiKey: string; apiSecret: string; data: never; close(): Promise<void> };
const { startEmulator } = (await import(`${repo}/emulator/index.js`)) as { startEmulator: (options: Record<string, unknown>) => Promise<Emulator> };
const { StreamApiClient } = (await import(`${repo}/src/stream-api/client.js`)) as {
  StreamApiClient: new (options: Record<string, unknown>) => { listChannels(filter: object): AsyncIterable<unknown>; close(): Promise<void> };
};

for (const { name, options, fallback } of cases.filter((candidate) => values.only === undefined || candidate.name.includes(values.only))) {
  let requests = 0;
  const onRequest = (record: { endpoint: string }) => void (record.endpoint === 'QueryChannels' && (requests += 1));
  const base = { seed: 5, taskLatencyMs: 10, onRequest, budget: { limitMs: 1e12 }, rateLimits: { perSecond: false } };
  const emulator = await startEmulator({ ...base, ...options });
  const data = emulator.data as unknown as { channels(): Iterable<unknown>; addChannels(options: Record<string, unknown>): string[] };
  if (fallback !== undefined && [...data.channels()].length === 0) fallback({ data });
  const client = new StreamApiClient({ apiKey: emulator.apiKey, apiSecret: emulator.apiSecret, baseUrl: emulator.url });
  const started = performance.now();
  let listed = 0;
  let outcome = 'ok';
  try {
    for await (const _channel of client.listChannels({})) listed += 1;
  } catch (error) {
    outcome = String(error).slice(0, 120);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${name}: ${listed} listed, ${requests} query channels requests, ${seconds} s, ${outcome}`);
  await client.close();
  await emulator.close();
}
