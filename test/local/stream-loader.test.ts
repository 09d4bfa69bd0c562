// The merge and state rules of the local sync, against a real in-memory DuckDB.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROW_GROUP_ROWS } from '../../src/local/open-database.js';
import { prepareTables } from '../../src/local/prepare-tables.js';
import { StreamLoader } from '../../src/local/stream-loader.js';
import { contractOf, type TableContract } from '../../src/local/table-contract.js';

const SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    text: { type: ['string', 'null'] },
    count: { type: ['integer', 'null'] },
    flag: { type: ['boolean', 'null'] },
    score: { type: ['number', 'null'] },
    tags: { type: ['array', 'null'], items: { type: 'string' } },
    updated_at: { type: ['string', 'null'], format: 'date-time' },
  },
};
const CONTRACT: TableContract = contractOf('messages', SCHEMA, [['id']]);
const T0 = '2025-01-01T00:00:00.000001Z';
const T1 = '2025-01-02T00:00:00.123456Z';

let instance: DuckDBInstance;
let stageFolder: string;
let control: DuckDBConnection;
let failures: unknown[];

async function rows(sql = 'SELECT id, text, updated_at::VARCHAR AS updated_at FROM messages ORDER BY id'): Promise<Array<Record<string, unknown>>> {
  return (await control.runAndReadAll(sql)).getRowObjectsJson();
}

async function loader(options: { fullRefresh?: boolean; empty?: boolean; mergeRows?: number } = {}): Promise<StreamLoader> {
  return new StreamLoader(await instance.connect(), CONTRACT, { fullRefresh: false, stageFolder, ...options, onFailure: (error) => failures.push(error) });
}

beforeEach(async () => {
  failures = [];
  stageFolder = mkdtempSync(join(tmpdir(), 'stream-loader-'));
  instance = await DuckDBInstance.create(':memory:');
  control = await instance.connect();
  await prepareTables(control, [CONTRACT], ':memory:');
});
afterEach(() => {
  instance.closeSync();
  rmSync(stageFolder, { recursive: true, force: true });
  expect(failures).toEqual([]);
});

describe('StreamLoader', () => {
  it('types each column from the record and keeps the whole record in _data', async () => {
    const load = await loader();
    void load.add({ id: 'a', text: 'hi', count: 3, flag: true, score: 1.5, tags: ['x'], updated_at: T1, custom: { deep: 1 } });
    void load.add({ id: 'b', count: 'not a number', updated_at: 'not a date' });
    load.save({ cursor: 1 });
    await load.drain();
    const typed = await rows(
      "SELECT id, count, flag, score, tags::VARCHAR AS tags, strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS updated_at, _data->>'$.custom.deep' AS deep, _data->>'count' AS sent FROM messages ORDER BY id",
    );
    expect(typed).toEqual([
      { id: 'a', count: '3', flag: true, score: 1.5, tags: '["x"]', updated_at: T1, deep: '1', sent: '3' },
      { id: 'b', count: null, flag: null, score: null, tags: null, updated_at: null, deep: null, sent: 'not a number' },
    ]);
  });

  it('replaces a row with a record whose updated_at is not older, never with an older one', async () => {
    const load = await loader();
    void load.add({ id: 'a', text: 'first', updated_at: T1 });
    load.save({ n: 1 });
    void load.add({ id: 'a', text: 'older', updated_at: T0 });
    load.save({ n: 2 });
    await load.drain();
    expect(await rows()).toEqual([{ id: 'a', text: 'first', updated_at: '2025-01-02 00:00:00.123456+00' }]);
    void load.add({ id: 'a', text: 'same instant, new text', updated_at: T1 });
    load.save({ n: 3 });
    await load.drain();
    expect((await rows())[0]?.text).toBe('same instant, new text');
    void load.add({ id: 'a', text: 'no updated_at is never older' });
    load.save({ n: 4 });
    await load.drain();
    expect(await rows()).toEqual([{ id: 'a', text: 'no updated_at is never older', updated_at: null }]);
  });

  it('keeps one row per key when a batch repeats it: the newest by updated_at, then the last to arrive', async () => {
    const load = await loader();
    void load.add({ id: 'a', text: 'newest', updated_at: T1 });
    void load.add({ id: 'a', text: 'older, later', updated_at: T0 });
    void load.add({ id: 'b', text: 'b1', updated_at: T0 });
    void load.add({ id: 'b', text: 'b2, same instant, last', updated_at: T0 });
    load.save({ n: 1 });
    await load.drain();
    expect((await rows()).map((row) => row.text)).toEqual(['newest', 'b2, same instant, last']);
  });

  it('leaves a row alone when a re-export brings it unchanged: _synced_at keeps the write that made it', async () => {
    const load = await loader();
    void load.add({ id: 'a', text: '<x>', updated_at: T1 });
    load.save({ n: 1 });
    await load.drain();
    const [before] = await rows('SELECT _synced_at::VARCHAR AS at FROM messages');
    void load.add({ id: 'a', text: '<x>', updated_at: T1 });
    load.save({ n: 2 });
    // The same JSON spelled otherwise: Stream's own bytes, escapes and all.
    void load.add({ id: 'a', text: '<x>', updated_at: T1 }, Buffer.from(String.raw`{"id":"a","text":"\u003cx\u003e","updated_at":"${T1}"}`));
    load.save({ n: 3 });
    await load.drain();
    expect(await rows('SELECT _synced_at::VARCHAR AS at FROM messages')).toEqual([before]);
  });

  it('commits rows with the state that covers them; what no state covers is rolled back', async () => {
    const load = await loader();
    void load.add({ id: 'a', updated_at: T0 });
    load.save({ through: 'a' });
    void load.add({ id: 'b', updated_at: T0 });
    await load.drain();
    await load.abandon();
    expect((await rows()).map((row) => row.id)).toEqual(['a']);
    expect(await rows('SELECT stream, stream_state::VARCHAR AS state FROM _sync_state')).toEqual([{ stream: 'messages', state: '{"through":"a"}' }]);
    expect(load.counts).toMatchObject({ records: 2, states: 1 });
  });

  it('a full refresh deletes the old rows in the transaction of its first state, not before', async () => {
    const first = await loader();
    void first.add({ id: 'old', updated_at: T0 });
    first.save({ n: 1 });
    await first.drain();
    const refresh = await loader({ fullRefresh: true });
    void refresh.add({ id: 'new', updated_at: T0 });
    await refresh.drain();
    expect((await rows()).map((row) => row.id)).toEqual(['old']);
    refresh.save({ n: 2 });
    await refresh.drain();
    expect((await rows()).map((row) => row.id)).toEqual(['new']);
    expect(refresh.counts.replaced).toBe(1);
  });

  it('commits each merge on its own: rows ahead of their state survive a kill, and the sync from that state adds none twice', async () => {
    const first = await loader();
    void first.add({ id: 'a', text: 'a0', updated_at: T0 });
    first.save({ through: 'a' });
    await first.drain();
    const load = await loader({ mergeRows: 2 });
    void load.add({ id: 'a', text: 'a1', updated_at: T1 });
    void load.add({ id: 'b', updated_at: T0 });
    void load.add({ id: 'c', updated_at: T0 });
    await load.drain();
    // Killed here: the merge of a and b is committed, c is not, and the state has not moved.
    await load.abandon();
    expect((await rows()).map((row) => [row.id, row.text])).toEqual([
      ['a', 'a1'],
      ['b', null],
    ]);
    expect(await rows('SELECT stream_state::VARCHAR AS state FROM _sync_state')).toEqual([{ state: '{"through":"a"}' }]);
    const again = await loader({ mergeRows: 2 });
    for (const id of ['a', 'b', 'c']) void again.add({ id, text: id === 'a' ? 'a1' : null, updated_at: id === 'a' ? T1 : T0 });
    again.save({ through: 'c' });
    await again.drain();
    expect(await rows('SELECT id, count(*)::INTEGER AS n FROM messages GROUP BY id ORDER BY id')).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 1 },
      { id: 'c', n: 1 },
    ]);
  });

  it('a full refresh killed after its first merge leaves no state: the next sync reads the stream whole', async () => {
    const first = await loader();
    void first.add({ id: 'old', updated_at: T0 });
    first.save({ complete: true });
    await first.drain();
    const refresh = await loader({ fullRefresh: true, mergeRows: 2 });
    void refresh.add({ id: 'n1', updated_at: T0 });
    void refresh.add({ id: 'n2', updated_at: T0 });
    void refresh.add({ id: 'n3', updated_at: T0 });
    await refresh.drain();
    await refresh.abandon();
    // The old rows went with the first merge, and so did the state that said they were complete.
    expect((await rows()).map((row) => row.id)).toEqual(['n1', 'n2']);
    expect(await rows('SELECT stream FROM _sync_state')).toEqual([]);
    const prepared = await prepareTables(control, [CONTRACT], ':memory:');
    expect(prepared.states.has('messages')).toBe(false);
  });

  it('a table empty at the start is merged by inserts alone; a key that comes again is merged the general way', async () => {
    const load = await loader({ empty: true, mergeRows: 2 });
    void load.add({ id: 'a', text: 'a0', updated_at: T0 });
    void load.add({ id: 'b', text: 'b0', updated_at: T1 });
    void load.add({ id: 'a', text: 'a1, newer', updated_at: T1 });
    void load.add({ id: 'b', text: 'b1, older', updated_at: T0 });
    void load.add({ id: 'c', text: 'c0', updated_at: T0 });
    load.save({ n: 1 });
    await load.drain();
    expect((await rows()).map((row) => [row.id, row.text])).toEqual([
      ['a', 'a1, newer'],
      ['b', 'b0'],
      ['c', 'c0'],
    ]);
    expect(load.counts).toMatchObject({ records: 5, states: 1 });
  });

  it('a table empty at the start that refuses a record for another reason than a repeated key fails the merge, without trying the general one', async () => {
    await control.run('ALTER TABLE messages ALTER COLUMN text SET NOT NULL');
    const connection = await instance.connect();
    const run = vi.spyOn(connection, 'run');
    const load = new StreamLoader(connection, CONTRACT, { fullRefresh: false, empty: true, stageFolder, onFailure: (error) => failures.push(error) });
    void load.add({ id: 'a', text: null, updated_at: T0 });
    load.save({ n: 1 });
    await expect(load.drain()).rejects.toThrow(/NOT NULL constraint failed/);
    expect(failures.splice(0)).toHaveLength(1);
    const statements = run.mock.calls.map(([sql]) => sql);
    expect(statements.filter((sql) => sql.startsWith('INSERT INTO'))).toHaveLength(1);
    expect(statements.filter((sql) => sql.startsWith('UPDATE'))).toEqual([]);
    expect(await rows()).toEqual([]);
    expect(await rows('SELECT stream FROM _sync_state')).toEqual([]);
  });

  it('skips a record without its primary key, counting it', async () => {
    const load = await loader();
    void load.add({ text: 'no id' });
    load.save({ n: 1 });
    await load.drain();
    expect(await rows()).toEqual([]);
    expect(load.counts.skipped).toBe(1);
  });

  it('asks the caller to wait once two stages wait for their merge, lets it go on after, and deletes each stage once merged', async () => {
    const load = await loader({ mergeRows: 1_000 });
    let wait: Promise<void> | undefined;
    let added = 0;
    while (wait === undefined && added < 50_000) wait = load.add({ id: `m${added++}`, updated_at: T0 });
    // Two stages of 1,000 records closed, their merges queued: the reader waits.
    expect(added).toBe(2_000);
    expect(readdirSync(stageFolder).sort()).toEqual(['messages-1.jsonl', 'messages-2.jsonl']);
    await wait;
    load.save({ n: 1 });
    await load.drain();
    expect(await rows('SELECT count(*)::INTEGER AS n FROM messages')).toEqual([{ n: 2_000 }]);
    expect(readdirSync(stageFolder)).toEqual([]);
  });

  it('checkpoints once the primary key outgrows 16 MiB, so a table of many keys fits a small memory limit', async () => {
    // DuckDB cannot evict an index it has not checkpointed: 400 000 keys outgrow a 32 MB limit without it.
    // Attached as the sync attaches its file: whole row groups written straight to it, so no WAL fills up to force a checkpoint.
    const file = await DuckDBInstance.create(':memory:', { memory_limit: '32MB', threads: '1' });
    const connection = await file.connect();
    try {
      await connection.run(`ATTACH '${join(stageFolder, 'keys.duckdb')}' AS keys (ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`);
      await connection.run('USE keys');
      await prepareTables(connection, [CONTRACT], 'keys.duckdb');
      const load = new StreamLoader(connection, CONTRACT, { fullRefresh: false, empty: true, stageFolder, onFailure: (error) => failures.push(error) });
      for (let n = 0; n < 400_000; n++) {
        const wait = load.add({ id: `message-${n}-${'k'.repeat(24)}`, updated_at: T0 });
        if (wait !== undefined) await wait;
      }
      load.save({ n: 1 });
      await load.drain();
      const count = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM messages');
      expect(count.getRowObjectsJson()).toEqual([{ n: 400_000 }]);
    } finally {
      connection.disconnectSync();
      file.closeSync();
    }
  }, 60_000);

  it('stages a record on one line whatever its bytes: JSON with a line break is serialised anew', async () => {
    const load = await loader();
    void load.add({ id: 'a', text: 'two\nlines', updated_at: T0 }, Buffer.from(`{"id":"a",\n"text":"two\\nlines","updated_at":"${T0}"}`));
    void load.add({ id: 'b', text: 'cr', updated_at: T0 }, Buffer.from(`{"id":"b",\r"text":"cr","updated_at":"${T0}"}`));
    load.save({ n: 1 });
    await load.drain();
    expect(await rows('SELECT id, text FROM messages ORDER BY id')).toEqual([
      { id: 'a', text: 'two\nlines' },
      { id: 'b', text: 'cr' },
    ]);
  });
});
