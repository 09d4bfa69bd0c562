// `npm run demo`: the connector end to end against the local Stream emulator — spec, check, discover,
// a first read of every stream, new messages, then an incremental read from the saved state; then the
// local warehouse: `sync` into demo-output/chat.duckdb, new messages, a second sync, and a few queries.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { startEmulator } from '../emulator/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'main.js');
const OUT = join(ROOT, 'demo-output');
const STREAMS = ['channels', 'members', 'messages', 'reactions', 'users'] as const;

type Message = { type: string } & Record<string, any>;

interface RunResult {
  exitCode: number | null;
  messages: Message[];
  counts: Record<string, number>;
  states: Map<string, Message>;
  seconds: number;
}

const started = Date.now();
const say = (text: string) => console.log(text);

/** Runs `node dist/main.js <args>`; RECORDs go to `<recordsDir>/<stream>.jsonl`, INFO/WARN logs are shown as progress. */
async function connector(args: string[], recordsDir?: string): Promise<RunResult> {
  const begin = Date.now();
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const files = new Map<string, WriteStream>();
  const messages: Message[] = [];
  const counts: Record<string, number> = Object.fromEntries(STREAMS.map((stream) => [stream, 0]));
  const states = new Map<string, Message>();
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line) as Message;
    if (message.type === 'RECORD') {
      const stream = message.record.stream as string;
      counts[stream] = (counts[stream] ?? 0) + 1;
      if (recordsDir) {
        let file = files.get(stream);
        if (!file) files.set(stream, (file = createWriteStream(join(recordsDir, `${stream}.jsonl`))));
        file.write(`${JSON.stringify(message.record.data)}\n`);
      }
      continue;
    }
    messages.push(message);
    if (message.type === 'STATE') states.set(message.state.stream.stream_descriptor.name, message.state);
    if (message.type === 'LOG' && message.log.level !== 'DEBUG') say(`    ${message.log.level.padEnd(5)} ${message.log.message}`);
    if (message.type === 'TRACE' && message.trace.type === 'ERROR') say(`    ERROR ${message.trace.error.message}`);
  }
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await Promise.all([...files.values()].map((file) => new Promise((resolve) => file.end(resolve))));
  return { exitCode, messages, counts, states, seconds: (Date.now() - begin) / 1000 };
}

function expectSuccess(step: string, result: RunResult): void {
  if (result.exitCode === 0) return;
  say(`\n✗ ${step} failed (exit ${result.exitCode}); see the messages above.`);
  process.exit(1);
}

function table(first: RunResult, second: RunResult): string {
  const rows = STREAMS.map((stream) => `  ${stream.padEnd(10)} ${String(first.counts[stream]).padStart(10)} ${String(second.counts[stream]).padStart(13)}`);
  return [`  ${'stream'.padEnd(10)} ${'first read'.padStart(10)} ${'incremental'.padStart(13)}`, ...rows].join('\n');
}

/** Runs `node dist/main.js sync <args>`: its summary (stdout) is shown indented, its progress (stderr) as it comes. */
async function syncInto(args: string[]): Promise<number> {
  const begin = Date.now();
  const child = spawn(process.execPath, [MAIN, 'sync', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let summary = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (summary += text));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  say(
    summary
      .trimEnd()
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
  if (exitCode !== 0) {
    say(`\n✗ sync failed (exit ${exitCode}); see the messages above.`);
    process.exit(1);
  }
  return (Date.now() - begin) / 1000;
}

/** A query and its answer, as a person would type it and see it. */
async function showQuery(database: string, title: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(database, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(sql);
    const names = reader.columnNames();
    const rows = reader
      .getRowsJson()
      .map((row) => row.map((value) => (value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value))));
    connection.disconnectSync();
    const widths = names.map((name, index) => Math.max(name.length, ...rows.map((row) => row[index]!.length)));
    const line = (cells: string[]) =>
      `    ${cells.map((cell, index) => (/^-?\d+(\.\d+)?$/.test(cell) ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!))).join('  ')}`;
    say(`\n  ${title}`);
    say(
      sql
        .split('\n')
        .map((text) => `    ${text}`)
        .join('\n'),
    );
    say(line(names));
    for (const row of rows) say(line(row));
  } finally {
    instance.closeSync();
  }
}

/** The state file Airbyte would pass next time: the last state of each stream. */
/**
 * Windows end at Stream's clock as its `Date` header tells it, in whole seconds: what the demo wrote
 * comes with the next sync once that second is over.
 */
async function pastTheSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
}

function stateFile(states: Map<string, Message>): Message[] {
  return [...states.values()].map((state) => ({ type: 'STREAM', stream: state.stream }));
}

say('source-stream-chat demo: the connector against a local Stream Chat emulator (nothing leaves 127.0.0.1)\n');
rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, 'incremental'), { recursive: true });

say('› starting the emulator (seed 7: 200 channels × 30 messages, 3 channel types)');
const emulator = await startEmulator({ seed: 7, channels: 200, messagesPerChannel: 30, taskLatencyMs: 300 });
try {
  say(`  API ${emulator.url}, downloads ${emulator.downloadUrl}`);
  const config = {
    api_key: emulator.apiKey,
    api_secret: emulator.apiSecret,
    base_url: emulator.url,
    poll_interval_seconds: 0.2,
    // Nothing is settling on a local emulator; the demo waits past the second of what it writes instead.
    settle_margin_seconds: 0,
  };
  const configPath = join(OUT, 'config.json');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);

  say('\n› spec');
  const spec = await connector(['spec']);
  expectSuccess('spec', spec);
  const keys = Object.keys(spec.messages.find((m) => m.type === 'SPEC')?.spec.connectionSpecification.properties ?? {});
  say(`  one SPEC message; config keys: ${keys.join(', ')}`);

  say('\n› check');
  const check = await connector(['check', '--config', configPath]);
  expectSuccess('check', check);
  say(`  CONNECTION_STATUS ${check.messages.find((m) => m.type === 'CONNECTION_STATUS')?.connectionStatus.status}`);

  say('\n› discover');
  const discover = await connector(['discover', '--config', configPath]);
  expectSuccess('discover', discover);
  const catalog = discover.messages.find((m) => m.type === 'CATALOG')?.catalog as { streams: Array<Record<string, any>> };
  for (const stream of catalog.streams) {
    say(`  ${stream.name.padEnd(10)} primary key ${JSON.stringify(stream.source_defined_primary_key)}, cursor ${stream.default_cursor_field}`);
  }
  const catalogPath = join(OUT, 'configured_catalog.json');
  const configured = { streams: catalog.streams.map((stream) => ({ stream, sync_mode: 'incremental', destination_sync_mode: 'append' })) };
  writeFileSync(catalogPath, `${JSON.stringify(configured, null, 2)}\n`);

  say('\n› read: every stream, no state yet');
  const exportsBefore = emulator.stats().exportsCreated;
  const first = await connector(['read', '--config', configPath, '--catalog', catalogPath], OUT);
  const firstExports = emulator.stats().exportsCreated - exportsBefore;
  expectSuccess('the first read', first);
  const statePath = join(OUT, 'state.json');
  writeFileSync(statePath, `${JSON.stringify(stateFile(first.states), null, 2)}\n`);

  const busiest = [...emulator.data.channels()][0];
  const cid = String(busiest?.cid);
  const added = emulator.data.addMessages(cid, 7);
  emulator.data.addReaction(String(added[0]?.id), String((added[1]?.user as { id: string }).id), 'like');
  say(`\n› meanwhile, 7 new messages (and a reaction) arrive in ${cid}`);

  await pastTheSecond();
  say('\n› read: incremental, from the saved state');
  const before = emulator.stats();
  const second = await connector(['read', '--config', configPath, '--catalog', catalogPath, '--state', statePath], join(OUT, 'incremental'));
  const after = emulator.stats();
  expectSuccess('the incremental read', second);
  writeFileSync(join(OUT, 'state-after-incremental.json'), `${JSON.stringify(stateFile(second.states), null, 2)}\n`);

  say('\nRecords per stream');
  say(table(first, second));
  const exported = new Set(
    emulator
      .requests()
      .filter((request) => request.endpoint === 'ExportChannels' && request.at.getTime() >= started)
      .slice(-(after.exportsCreated - before.exportsCreated))
      .flatMap((request) => (request.body as { channels: Array<{ type: string; id: string }> }).channels.map((channel) => `${channel.type}:${channel.id}`)),
  );
  say(
    `\nExport requests: first read ${firstExports} (every channel, 100 a request); incremental read ${after.exportsCreated - before.exportsCreated}, for ${[...exported].join(', ') || 'no channel'}; ${after.requests - before.requests} API calls in all`,
  );
  const state = JSON.stringify(stateFile(second.states));
  say(
    `State after the incremental read: ${state.length} bytes for ${emulator.data.allChannels().length} channels; messages → ${JSON.stringify(second.states.get('messages')?.stream.stream_state)}`,
  );
  say(
    `\nTimes: first read ${first.seconds.toFixed(1)} s, incremental read ${second.seconds.toFixed(1)} s, whole demo ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const out = relative(process.cwd(), OUT);
  say(`Files: ${out}/<stream>.jsonl (first read), ${out}/incremental/<stream>.jsonl, ${out}/state.json, ${out}/config.json, ${out}/configured_catalog.json`);

  const database = join(OUT, 'chat.duckdb');
  const shown = relative(process.cwd(), database);
  say(`\n› sync into DuckDB: the same read in-process, one table per stream in ${shown}, the state kept in the file`);
  const firstSync = await syncInto(['--config', configPath, '--duckdb', database]);
  const betweenSyncs = new Date().toISOString();

  const signUp = emulator.data.addUser({ name: 'Ada Newcomer' });
  say(`\n› meanwhile, ${String(signUp.name)} signs up (a user in no channel: query users lists her)`);
  const quiet = [...emulator.data.channels()].at(-1);
  const quietCid = String(quiet?.cid);
  const arrived = emulator.data.addMessages(quietCid, 5);
  emulator.data.addReaction(String(arrived[0]?.id), String((arrived[2]?.user as { id: string }).id), 'love');
  say(`\n› meanwhile, 5 new messages (and a reaction) arrive in ${quietCid}`);

  await pastTheSecond();
  say('\n› sync again: incremental from the state in the file, no flags; the new rows are merged, none added twice');
  const secondSync = await syncInto(['--config', configPath, '--duckdb', database]);

  say(`\n› the warehouse, queried with DuckDB (duckdb ${shown}, or any DuckDB client)`);
  await showQuery(
    database,
    'Messages per channel type',
    [
      'SELECT c.type AS channel_type, count(DISTINCT m.cid) AS channels, count(*) AS messages',
      'FROM messages m JOIN channels c USING (cid)',
      'GROUP BY ALL ORDER BY messages DESC;',
    ].join('\n'),
  );
  await showQuery(
    database,
    'Top posters',
    [
      'SELECT u.name, count(*) AS messages, max(m.created_at)::DATE AS last_post',
      "FROM messages m JOIN users u ON u.id = m.user_id WHERE m.type <> 'deleted'",
      'GROUP BY ALL ORDER BY messages DESC, u.name LIMIT 5;',
    ].join('\n'),
  );
  await showQuery(
    database,
    'Users who never posted (query users lists every user, not only those in a channel)',
    [
      'SELECT u.id, u.name, u.role, u.created_at::DATE AS signed_up, u.deactivated_at IS NOT NULL AS deactivated',
      'FROM users u ANTI JOIN messages m ON m.user_id = u.id',
      'ORDER BY u.id;',
    ].join('\n'),
  );
  await showQuery(
    database,
    'Reactions per type',
    ['SELECT type AS reaction, count(*) AS reactions, count(DISTINCT message_id) AS messages', 'FROM reactions GROUP BY ALL ORDER BY reactions DESC;'].join(
      '\n',
    ),
  );
  await showQuery(
    database,
    'What the second sync wrote (_synced_at: when a row was last written)',
    [
      'SELECT \'messages\' AS "table", count(*) AS "rows", min(created_at)::VARCHAR AS oldest FROM messages',
      `WHERE _synced_at > TIMESTAMPTZ '${betweenSyncs}'`,
      "UNION ALL SELECT 'reactions', count(*), min(created_at)::VARCHAR FROM reactions",
      `WHERE _synced_at > TIMESTAMPTZ '${betweenSyncs}';`,
    ].join('\n'),
  );
  say(`\nSync times: first ${firstSync.toFixed(1)} s, second ${secondSync.toFixed(1)} s; whole demo ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await emulator.close();
}
