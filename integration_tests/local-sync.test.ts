// `sync` into a real embedded DuckDB file, as a child process against the emulator: the tables equal
// the emulator's ground truth row for row, a second sync merges without adding a row twice, a SIGKILL
// leaves the file consistent, --full-refresh replaces, and each unusable database fails in one line.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { toRecords } from '../src/records/index.js';
import { DIST_MAIN, ensureBuilt } from '../test/helpers/build.js';
import { configFor, keyOf, once, pastTheSecond, PRIMARY_KEYS, SMALL_DATA_SET, STREAMS, usersTruth, type StreamName } from './harness.js';

interface SyncRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

type Row = Record<string, unknown>;

const SYNC_TIMEOUT_MS = 60_000;

let work: string;

function startSync(args: string[]): { child: ChildProcess; result: Promise<SyncRun> } {
  const child = spawn(process.execPath, [DIST_MAIN, 'sync', ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const result = new Promise<SyncRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sync ${args.join(' ')} did not exit within ${SYNC_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, SYNC_TIMEOUT_MS);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
  return { child, result };
}

function sync(config: Row, database: string, ...flags: string[]): Promise<SyncRun> {
  const path = join(work, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  return startSync(['--config', path, '--duckdb', database, ...flags]).result;
}

async function query(database: string, sql: string): Promise<Row[]> {
  const instance = await DuckDBInstance.create(database);
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(sql);
    connection.disconnectSync();
    return reader.getRowObjectsJson();
  } finally {
    instance.closeSync();
  }
}

/** Each row's `_data`, parsed, by primary key. */
async function tableData(database: string, stream: StreamName): Promise<Map<string, Row>> {
  const rows = await query(database, `SELECT _data::VARCHAR AS data FROM ${stream}`);
  return new Map(rows.map((row) => JSON.parse(String(row.data)) as Row).map((data) => [keyOf(stream, data), data]));
}

/**
 * The ground truth of a stream by primary key: the entities an export of every channel holds, as the
 * connector makes records of them (`cid`, and `user_id` from the embedded user, added).
 */
function truth(emulator: Emulator, stream: StreamName): Map<string, Row> {
  if (stream === 'users') return new Map(usersTruth(emulator).map((user) => [keyOf('users', user), user]));
  const records = [...emulator.data.entities()].flatMap((entity) =>
    toRecords({ kind: entity.type, cid: entity.cid, data: entity.data }).filter((record) => record.stream === stream && `${entity.type}s` === stream),
  );
  return new Map(records.map((record) => [keyOf(stream, record.data), record.data]));
}

/** An RFC 3339 instant in microseconds since the epoch, as text (its fraction may have fewer than 6 digits). */
function microsOf(text: string): string {
  const [, whole = '', fraction = ''] = /^(.*?:\d\d)(?:\.(\d+))?Z$/.exec(text) ?? [];
  return String(BigInt(Date.parse(`${whole}Z`)) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6)));
}

/** The summary line of one table: records, rows, inserted, updated, deleted. */
function summaryOf(run: SyncRun, table: StreamName): number[] {
  const line = run.stdout.split('\n').find((text) => text.trim().split(/\s+/)[0] === table);
  if (line === undefined) throw new Error(`no ${table} line in the summary:\n${run.stdout}\n${run.stderr}`);
  return line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map((cell) => Number(cell.replaceAll(',', '')));
}

function expectSuccess(run: SyncRun): void {
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
}

/**
 * Every table equals the ground truth: same keys, and each row's `_data` the exported entity. Users
 * come from user lines and from the users embedded in records, so they match by updated_at; so do
 * channels after an incremental sync, which rewrites a channel only when its updated_at moves (not when
 * only its last_message_at does).
 */
async function expectGroundTruth(emulator: Emulator, database: string, byUpdatedAt: readonly StreamName[] = ['users']): Promise<void> {
  for (const stream of STREAMS) {
    const expected = truth(emulator, stream);
    const stored = await tableData(database, stream);
    expect([...stored.keys()].sort(), stream).toEqual([...expected.keys()].sort());
    if (byUpdatedAt.includes(stream)) {
      for (const [key, data] of stored) expect(data.updated_at, key).toBe(expected.get(key)?.updated_at);
      continue;
    }
    for (const [key, data] of stored) expect(data, `${stream} ${key}`).toEqual(expected.get(key));
  }
}

beforeAll(async () => {
  await ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'source-stream-chat-local-sync-'));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('sync into DuckDB', () => {
  let emulator: Emulator;
  let config: Row;
  let database: string;

  beforeAll(async () => {
    emulator = await startEmulator(SMALL_DATA_SET);
    config = configFor(emulator, { channels_per_export: 5, lookback_window_hours: 1 });
    database = join(work, 'chat.duckdb');
  }, 120_000);
  afterAll(() => emulator.close());

  /** The first sync into `database`, which the tests below look into or sync again (run once, when a test first needs it). */
  const firstSync = once(() => sync(config, database));

  it('a first sync creates the file and one table per stream equal to the ground truth, row for row', async () => {
    const first = await firstSync();
    expectSuccess(first);
    expect(first.stderr, 'no progress lines when stderr is not a terminal').toBe('');
    expect(first.stdout).toMatch(/^Synced 5 stream\(s\) into .*chat\.duckdb in \d+\.\d s \(incremental\)\n/);
    await expectGroundTruth(emulator, database);
    for (const stream of STREAMS) {
      const [records, rows, inserted, updated] = summaryOf(first, stream);
      expect(rows, stream).toBe(truth(emulator, stream).size);
      expect(inserted, stream).toBe(rows);
      expect(updated, stream).toBe(0);
      expect(records, stream).toBeGreaterThanOrEqual(rows!);
    }
  });

  it('types one column per schema property, keeps microseconds, and keys the table by the stream primary key', async () => {
    expectSuccess(await firstSync());
    const columns = await query(database, "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE table_name = 'messages'");
    const types = Object.fromEntries(columns.map((column) => [column.column_name, column.data_type]));
    expect(types).toMatchObject({
      id: 'VARCHAR',
      text: 'VARCHAR',
      created_at: 'TIMESTAMP WITH TIME ZONE',
      reply_count: 'BIGINT',
      pinned: 'BOOLEAN',
      user: 'JSON',
      latest_reactions: 'JSON',
      _data: 'JSON',
      _synced_at: 'TIMESTAMP WITH TIME ZONE',
    });
    const rows = await query(
      database,
      "SELECT id, epoch_us(created_at)::VARCHAR AS micros, _data->>'created_at' AS sent, text = (_data->>'text') AS same_text FROM messages",
    );
    const mismatches = rows.filter((row) => row.micros !== microsOf(String(row.sent)) || row.same_text === false);
    expect(mismatches).toEqual([]);
    const users = await query(database, "SELECT data_type FROM duckdb_columns() WHERE table_name = 'users' AND column_name = 'avg_response_time'");
    expect(users).toEqual([{ data_type: 'DOUBLE' }]);
    const keys = await query(
      database,
      "SELECT table_name, constraint_column_names::VARCHAR AS columns FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' ORDER BY 1",
    );
    expect(keys).toEqual(
      [...STREAMS, '_sync_state']
        .sort()
        .map((table) => ({ table_name: table, columns: `[${table === '_sync_state' ? 'stream' : PRIMARY_KEYS[table as StreamName].join(', ')}]` })),
    );
  });

  it('keeps soft-deleted messages as rows with their type and deleted_at', async () => {
    expectSuccess(await firstSync());
    const deleted = [...emulator.data.messages()].filter((message) => message.type === 'deleted');
    expect(deleted.length).toBeGreaterThan(0);
    const rows = await query(database, "SELECT id FROM messages WHERE type = 'deleted' AND deleted_at IS NOT NULL ORDER BY id");
    expect(rows.map((row) => row.id)).toEqual(deleted.map((message) => String(message.id)).sort());
  });

  it('keeps the per-stream states in _sync_state', async () => {
    expectSuccess(await firstSync());
    const states = await query(database, 'SELECT stream, stream_state::VARCHAR AS state FROM _sync_state ORDER BY stream');
    expect(states.map((row) => row.stream)).toEqual([...STREAMS].sort());
    const messages = JSON.parse(String(states.find((row) => row.stream === 'messages')?.state)) as Row;
    expect(messages).toMatchObject({ cover: expect.any(String), lagging: {} });
    expect(messages).not.toHaveProperty('progress');
  });

  it('a second sync, after new messages and an edit inside the lookback, is incremental: it updates the edited row and adds each new one once', async () => {
    expectSuccess(await firstSync());
    const [cidA, cidB] = [...emulator.data.channels()].map((channel) => String(channel.cid)) as [string, string];
    const early = emulator.data.addMessages(cidA, 3);
    await pastTheSecond(emulator);
    const between = await sync(config, database);
    expectSuccess(between);
    expect(summaryOf(between, 'messages').slice(2)).toEqual([3, 0, 0]);

    const added = emulator.data.addMessages(cidB, 2);
    const edited = emulator.data.editMessage(String(early[1]!.id), 'edited inside the lookback');
    const exportsBefore = emulator.stats().exportsCreated;
    await pastTheSecond(emulator);
    const second = await sync(config, database);
    expectSuccess(second);
    // Only the two active channels are exported; the lookback brings the three earlier messages again.
    expect(emulator.stats().exportsCreated - exportsBefore).toBe(1);
    const [records, rows, inserted, updated] = summaryOf(second, 'messages');
    expect(records).toBe(early.length + added.length);
    expect(inserted).toBe(added.length);
    expect(updated).toBe(1);
    expect(rows).toBe(truth(emulator, 'messages').size);
    await expectGroundTruth(emulator, database, ['users', 'channels']);
    const [row] = await query(
      database,
      `SELECT text, _synced_at > (SELECT min(_synced_at) FROM messages) AS rewritten FROM messages WHERE id = '${String(edited.id)}'`,
    );
    expect(row).toEqual({ text: 'edited inside the lookback', rewritten: true });
  });

  it('--full-refresh reads everything again and replaces the tables: rows the source no longer has are gone', async () => {
    expectSuccess(await firstSync());
    await query(database, "INSERT INTO messages (id, cid, _data, _synced_at) VALUES ('gone', 'x:y', '{\"id\":\"gone\"}', now())");
    await query(database, "UPDATE channels SET name = 'changed by hand'");
    const refreshed = await sync(config, database, '--full-refresh');
    expectSuccess(refreshed);
    expect(refreshed.stdout).toContain('(full refresh)');
    expect(refreshed.stdout).toMatch(/replaced: .*messages row\(s\)/);
    await expectGroundTruth(emulator, database);
    const [records, rows, inserted] = summaryOf(refreshed, 'messages');
    expect(inserted).toBe(rows);
    expect(records).toBe(rows);
  });

  it('--streams syncs those streams only', async () => {
    const only = join(work, 'two.duckdb');
    const run = await sync(config, only, '--streams', 'users,channels');
    expectSuccess(run);
    const tables = await query(only, 'SELECT table_name FROM duckdb_tables() ORDER BY 1');
    expect(tables.map((row) => row.table_name)).toEqual(['_sync_state', 'channels', 'users']);
  });
});

describe("sync into DuckDB with Stream's clock apart from the host's", () => {
  for (const offsetMs of [-30_000, 30_000]) {
    it(`${offsetMs < 0 ? 'behind' : 'ahead'} by 30 s: three syncs lose no message and write none twice`, async () => {
      const emulator = await startEmulator({ ...SMALL_DATA_SET, clockOffsetMs: offsetMs });
      try {
        const database = join(work, `clock${offsetMs}.duckdb`);
        const config = configFor(emulator);
        const cids = [...emulator.data.channels()].map((channel) => String(channel.cid));
        let records = 0;
        for (let round = 0; round < 3; round += 1) {
          emulator.data.addMessages(cids[round] as string, 2);
          await pastTheSecond(emulator);
          const run = await sync(config, database, '--streams', 'messages');
          expectSuccess(run);
          records += summaryOf(run, 'messages')[0] as number;
        }
        const [state] = await query(database, "SELECT stream_state->>'$.cover' AS cover FROM _sync_state WHERE stream = 'messages'");
        const cover = Date.parse(String(state?.cover));
        const covered = [...emulator.data.messages()].filter((message) => Date.parse(String(message.created_at)) <= cover).map((message) => String(message.id));
        const stored = await tableData(database, 'messages');
        expect([...stored.keys()].sort()).toEqual(covered.map((id) => keyOf('messages', { id })).sort());
        expect(records).toBe(stored.size);
      } finally {
        await emulator.close();
      }
    }, 120_000);
  }
});

describe('sync stopped midway', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator({ ...SMALL_DATA_SET, taskLatencyMs: 200 });
  }, 120_000);
  afterEach(() => emulator.faults.reset());
  afterAll(() => emulator.close());

  /** A sync of one channel per export, one at a time (a commit per channel), running once `downloads` more files are read. */
  async function startedSync(name: string, downloads: number) {
    const config = configFor(emulator, { channels_per_export: 1, max_concurrent_exports: 1 });
    const database = join(work, `${name}.duckdb`);
    const path = join(work, `${name}-config.json`);
    writeFileSync(path, JSON.stringify(config));
    const target = emulator.stats().downloads + downloads;
    const run = startSync(['--config', path, '--duckdb', database]);
    while (emulator.stats().downloads < target) await new Promise((resolve) => setTimeout(resolve, 20));
    return { run, config, database };
  }

  it('by SIGKILL: the file holds what its saved state covers (here exactly: no merge is due before a state), and the next sync ends with exactly the ground truth', async () => {
    const { run, config, database } = await startedSync('killed', 4);
    // The next tasks stall, so the kill lands after the first commits, while the sync waits.
    emulator.faults.slowTasks(60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    run.child.kill('SIGKILL');
    const killed = await run.result;
    expect(killed.signal).toBe('SIGKILL');
    emulator.faults.slowTasks(0);

    const copy = join(work, 'killed-copy.duckdb');
    copyFileSync(database, copy);
    if (existsSync(`${database}.wal`)) copyFileSync(`${database}.wal`, `${copy}.wal`);
    const saved = await query(copy, "SELECT stream_state->>'$.progress.created_before' AS created_before FROM _sync_state WHERE stream = 'messages'");
    const createdBefore = Date.parse(String(saved[0]?.created_before));
    const savedCids = new Set(
      [...emulator.data.channels()].filter((channel) => Date.parse(String(channel.created_at)) < createdBefore).map((channel) => String(channel.cid)),
    );
    const committed = await query(copy, 'SELECT id FROM messages ORDER BY id');
    const expected = [...emulator.data.messages()]
      .filter((message) => savedCids.has(String(message.cid)))
      .map((message) => String(message.id))
      .sort();
    // What the saved state covers, and at most the channels created at its created_before (written, not
    // yet claimed: channels tied with them might still have come); with exports this small (under one
    // merge), nothing of the channels after.
    const boundary = new Set(
      [...emulator.data.channels()].filter((channel) => Date.parse(String(channel.created_at)) === createdBefore).map((channel) => String(channel.cid)),
    );
    const ids = committed.map((row) => String(row.id));
    expect(ids).toEqual(expect.arrayContaining(expected));
    const cidOf = new Map([...emulator.data.messages()].map((message) => [String(message.id), String(message.cid)]));
    expect(ids.filter((id) => !expected.includes(id) && !boundary.has(cidOf.get(id) ?? ''))).toEqual([]);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(truth(emulator, 'messages').size);

    expectSuccess(await sync(config, database));
    await expectGroundTruth(emulator, database);
  }, 90_000);

  it('by SIGTERM: exit 143 with one line saying what stays, and the next sync completes the ground truth', async () => {
    const { run, config, database } = await startedSync('stopped', 3);
    run.child.kill('SIGTERM');
    const stopped = await run.result;
    expect(stopped.exitCode).toBe(143);
    expect(stopped.stdout).toBe('');
    expect(stopped.stderr).toMatch(/^error: The sync was interrupted by SIGTERM; .*every batch committed before stays in .*stopped\.duckdb\n$/);
    const committed = await query(database, 'SELECT count(*)::INTEGER AS n FROM messages');
    expect(committed[0]?.n).toBeLessThan(truth(emulator, 'messages').size);
    expectSuccess(await sync(config, database));
    await expectGroundTruth(emulator, database);
  }, 90_000);
});

describe('a database sync cannot use', () => {
  let emulator: Emulator;
  let config: Row;

  beforeAll(async () => {
    emulator = await startEmulator({ ...SMALL_DATA_SET, channels: 2 });
    config = configFor(emulator);
  }, 120_000);
  afterAll(() => emulator.close());

  function expectOneLineFailure(run: SyncRun, pattern: RegExp): void {
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  }

  it('locked by another process: one line naming it, exit 1, the file untouched', async () => {
    const database = join(work, 'locked.duckdb');
    expectSuccess(await sync(config, database, '--streams', 'channels'));
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(database)}); console.log('open'); setTimeout(() => {}, 60000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      const before = readFileSync(database);
      const run = await sync(config, database);
      expectOneLineFailure(run, new RegExp(`^error: .*locked\\.duckdb is in use by another process \\(.*PID ${holder.pid}\\)`));
      expect(readFileSync(database).equals(before)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a file that is not a DuckDB database: one line, exit 1, the file untouched', async () => {
    const database = join(work, 'notes.duckdb');
    writeFileSync(database, 'these are my notes, not a database\n'.repeat(200));
    const run = await sync(config, database);
    expectOneLineFailure(run, /^error: .*notes\.duckdb is not a DuckDB database, or it is damaged/);
    expect(readFileSync(database, 'utf8')).toBe('these are my notes, not a database\n'.repeat(200));
  });

  it('a folder that does not exist: one line, exit 1, nothing created', async () => {
    const database = join(work, 'no-such-folder', 'chat.duckdb');
    const run = await sync(config, database);
    expectOneLineFailure(run, /^error: Cannot create .*chat\.duckdb: the folder .*no-such-folder does not exist$/);
    expect(existsSync(join(work, 'no-such-folder'))).toBe(false);
  });

  it('a read-only path: one line, exit 1', async () => {
    // /sys is mounted read-only, even for root.
    const run = await sync(config, '/sys/chat.duckdb');
    expectOneLineFailure(run, /^error: Cannot write \/sys\/chat\.duckdb: the path is read-only or not permitted$/);
  });
});

describe('sync into DuckDB mirrors deletions an export proves', () => {
  let emulator: Emulator;
  let config: Row;
  let database: string;

  beforeAll(async () => {
    emulator = await startEmulator(SMALL_DATA_SET);
    // A sweep every sync, one export at a time: the first export requested is the one a fault fails.
    // The lookback brings a message written just before a sync into the next sync's window.
    config = configFor(emulator, { channels_per_export: 4, max_concurrent_exports: 1, full_sweep_interval_hours: 0, lookback_window_hours: 1 });
    database = join(work, 'deletions.duckdb');
  }, 120_000);
  afterAll(() => emulator.close());

  /** One member removed from every channel of two members or more; returns their keys by cid. */
  function removeOneMemberEach(): Map<string, string> {
    const removed = new Map<string, string>();
    for (const channel of emulator.data.allChannels()) {
      const member = channel.members.at(-1);
      if (channel.members.length < 2 || member === undefined) continue;
      emulator.data.removeMember(channel.cid, member.userId);
      removed.set(channel.cid, keyOf('members', { cid: channel.cid, user_id: member.userId }));
    }
    return removed;
  }

  it('a member removed goes at the sweep that exports its channel; not while that export fails; the summary counts them', async () => {
    expectSuccess(await sync(config, database));
    await expectGroundTruth(emulator, database);
    const removed = removeOneMemberEach();
    expect(removed.size).toBeGreaterThan(2);
    await pastTheSecond(emulator);

    const requestsBefore = emulator.requests().length;
    emulator.faults.failTasks({ count: 1 });
    const failing = await sync(config, database);
    expect(failing.exitCode, failing.stderr).toBe(1);
    const firstExport = emulator
      .requests()
      .slice(requestsBefore)
      .find((request) => request.endpoint === 'ExportChannels');
    const failedCids = (firstExport!.body as { channels: Array<{ type: string; id: string }> }).channels.map((channel) => `${channel.type}:${channel.id}`);
    const stored = await tableData(database, 'members');
    for (const [cid, key] of removed) expect(stored.has(key), `${key} (export ${failedCids.includes(cid) ? 'failed' : 'read'})`).toBe(failedCids.includes(cid));

    const complete = await sync(config, database);
    expectSuccess(complete);
    // A channel's row moves with its updated_at, which a member leaving does not move (its member_count does).
    await expectGroundTruth(emulator, database, ['users', 'channels']);
    const stillThere = [...removed].filter(([cid]) => failedCids.includes(cid)).length;
    expect(stillThere).toBeGreaterThan(0);
    expect(summaryOf(complete, 'members')[4]).toBe(stillThere);
    expect(summaryOf(complete, 'messages')[4]).toBe(0);
  });

  it('a reaction taken back goes at the next sync whose v2 window holds its message; the summary counts it', async () => {
    const reactionsDatabase = join(work, 'deletions-reactions.duckdb');
    const cid = String([...emulator.data.channels()][0]!.cid);
    const [message] = emulator.data.addMessages(cid, 1);
    const id = String(message!.id);
    const [first, second] = emulator.data.allUsers().map((user) => user.id);
    emulator.data.addReaction(id, first!, 'like');
    emulator.data.addReaction(id, second!, 'love');
    await pastTheSecond(emulator);
    expectSuccess(await sync(config, reactionsDatabase));
    const taken = keyOf('reactions', { message_id: id, user_id: first, type: 'like' });
    expect((await tableData(reactionsDatabase, 'reactions')).has(taken)).toBe(true);

    emulator.data.removeReaction(id, first!, 'like');
    await pastTheSecond(emulator);
    const after = await sync(config, reactionsDatabase);
    expectSuccess(after);
    expect((await tableData(reactionsDatabase, 'reactions')).has(taken)).toBe(false);
    await expectGroundTruth(emulator, reactionsDatabase, ['users', 'channels']);
    expect(summaryOf(after, 'reactions')[4]).toBe(1);
  });

  it('a message hard-deleted inside the next sync window goes, with its reactions; a soft-deleted one is updated; the summary counts them', async () => {
    const messagesDatabase = join(work, 'deletions-messages.duckdb');
    const cid = String([...emulator.data.channels()][1]!.cid);
    const [hard, soft, kept] = emulator.data.addMessages(cid, 3).map((message) => String(message.id)) as [string, string, string];
    const [reactor] = emulator.data.allUsers().map((user) => user.id);
    emulator.data.addReaction(hard, reactor!, 'like');
    emulator.data.addReaction(kept, reactor!, 'like');
    await pastTheSecond(emulator);
    expectSuccess(await sync(config, messagesDatabase));
    expect([...(await tableData(messagesDatabase, 'messages')).keys()]).toEqual(
      expect.arrayContaining([hard, soft, kept].map((id) => keyOf('messages', { id }))),
    );

    emulator.data.deleteMessage(hard, { hard: true });
    emulator.data.deleteMessage(soft);
    await pastTheSecond(emulator);
    const after = await sync(config, messagesDatabase);
    expectSuccess(after);
    await expectGroundTruth(emulator, messagesDatabase, ['users', 'channels']);
    const stored = await tableData(messagesDatabase, 'messages');
    expect(stored.has(keyOf('messages', { id: hard }))).toBe(false);
    expect(stored.get(keyOf('messages', { id: soft }))?.type).toBe('deleted');
    expect(summaryOf(after, 'messages')[4]).toBe(1);
    expect(summaryOf(after, 'reactions')[4]).toBe(1);
  });

  it('a sweep reads each channel from start_date: a message hard-deleted long ago goes, and so do those of a user deleted with their messages', async () => {
    const sweptDatabase = join(work, 'deletions-swept.duckdb');
    expectSuccess(await sync(config, sweptDatabase));
    const old = [...emulator.data.messages()].find((message) => message.type === 'regular' && String(message.created_at) < '2024-12-01');
    emulator.data.deleteMessage(String(old!.id), { hard: true });
    const author = [...emulator.data.messages()].map((message) => (message.user as { id: string }).id).at(-1)!;
    emulator.data.deleteUser(author, { messages: 'hard' });
    await pastTheSecond(emulator);
    const after = await sync(config, sweptDatabase);
    expectSuccess(after);
    await expectGroundTruth(emulator, sweptDatabase, ['users', 'channels']);
    expect((await tableData(sweptDatabase, 'messages')).has(keyOf('messages', { id: old!.id }))).toBe(false);
    expect(summaryOf(after, 'messages')[4]).toBeGreaterThan(1);
  });

  it('SIGKILL during the sync that deletes: no row Stream still has is gone, and the next sync is exact', async () => {
    const killedDatabase = join(work, 'deletions-killed.duckdb');
    expectSuccess(await sync(config, killedDatabase));
    expect(removeOneMemberEach().size).toBeGreaterThan(2);
    await pastTheSecond(emulator);

    const path = join(work, 'deletions-killed-config.json');
    writeFileSync(path, JSON.stringify(config));
    const target = emulator.stats().downloads + 2;
    const run = startSync(['--config', path, '--duckdb', killedDatabase]);
    while (emulator.stats().downloads < target) await new Promise((resolve) => setTimeout(resolve, 10));
    // The next tasks stall, so the kill lands after the first exports' merges, while the sync waits.
    emulator.faults.slowTasks(60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    run.child.kill('SIGKILL');
    expect((await run.result).signal).toBe('SIGKILL');
    emulator.faults.slowTasks(0);
    const stored = await tableData(killedDatabase, 'members');
    for (const key of truth(emulator, 'members').keys()) expect(stored.has(key), key).toBe(true);

    expectSuccess(await sync(config, killedDatabase));
    await expectGroundTruth(emulator, killedDatabase, ['users', 'channels']);
  });
});
