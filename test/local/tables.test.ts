// Tables made and evolved from the stream schemas, against a real in-memory DuckDB; opening errors.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openError } from '../../src/local/open-database.js';
import { IncompatibleTableError, prepareTables } from '../../src/local/prepare-tables.js';
import { columnType, contractOf, tableContracts } from '../../src/local/table-contract.js';

const BASE = { id: { type: 'string' }, updated_at: { type: ['string', 'null'], format: 'date-time' } };
const schema = (extra: Record<string, unknown> = {}) => ({ type: 'object', properties: { ...BASE, ...extra } });

let instance: DuckDBInstance;
let connection: DuckDBConnection;

async function all(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson();
}

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});
afterEach(() => instance.closeSync());

describe('table contracts', () => {
  it('map JSON schema types to DuckDB types', () => {
    expect(columnType({ type: 'string' })).toBe('VARCHAR');
    expect(columnType({ type: ['string', 'null'], format: 'date-time' })).toBe('TIMESTAMPTZ');
    expect(columnType({ type: ['integer', 'null'] })).toBe('BIGINT');
    expect(columnType({ type: 'boolean' })).toBe('BOOLEAN');
    expect(columnType({ type: 'number' })).toBe('DOUBLE');
    expect(columnType({ type: ['object', 'null'] })).toBe('JSON');
    expect(columnType({ type: 'array' })).toBe('JSON');
    expect(columnType({ type: ['string', 'integer'] })).toBe('JSON');
    expect(columnType({})).toBe('JSON');
  });

  it("take each stream's top-level properties and primary key", () => {
    const contracts = tableContracts();
    expect([...contracts.keys()]).toEqual(['channels', 'members', 'messages', 'reactions', 'users']);
    expect(contracts.get('reactions')?.primaryKey).toEqual(['message_id', 'user_id', 'type']);
    expect(contracts.get('messages')?.columns.find((column) => column.name === 'latest_reactions')?.type).toBe('JSON');
    expect(contracts.get('members')?.columns.find((column) => column.name === 'created_at')?.type).toBe('TIMESTAMPTZ');
  });
});

describe('prepareTables', () => {
  it('creates the tables on first use, with the primary key, and a _sync_state', async () => {
    const prepared = await prepareTables(connection, [contractOf('users', schema({ n: { type: 'integer' } }), [['id']])], 'chat.duckdb');
    expect(prepared.created).toEqual(['users']);
    expect(await all("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'users'")).toEqual([
      { column_name: 'id', data_type: 'VARCHAR' },
      { column_name: 'updated_at', data_type: 'TIMESTAMP WITH TIME ZONE' },
      { column_name: 'n', data_type: 'BIGINT' },
      { column_name: '_data', data_type: 'JSON' },
      { column_name: '_synced_at', data_type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
    expect(await all('SELECT table_name FROM duckdb_tables() ORDER BY 1')).toEqual([{ table_name: '_sync_state' }, { table_name: 'users' }]);
  });

  it('adds a column for a field new to the schema, filled from the rows already there', async () => {
    await prepareTables(connection, [contractOf('users', schema(), [['id']])], 'chat.duckdb');
    await connection.run(`INSERT INTO users VALUES ('u1', NULL, '{"id":"u1","nickname":"Ada","visits":7}', now())`);
    const later = contractOf('users', schema({ nickname: { type: ['string', 'null'] }, visits: { type: 'integer' } }), [['id']]);
    const prepared = await prepareTables(connection, [later], 'chat.duckdb');
    expect(prepared.added).toEqual([
      { table: 'users', column: 'nickname' },
      { table: 'users', column: 'visits' },
    ]);
    expect(await all('SELECT nickname, visits FROM users')).toEqual([{ nickname: 'Ada', visits: '7' }]);
  });

  it('refuses a column whose type the schema changed, naming it, and changes nothing', async () => {
    await prepareTables(connection, [contractOf('users', schema({ visits: { type: 'string' } }), [['id']])], 'chat.duckdb');
    const later = [contractOf('users', schema({ visits: { type: 'integer' }, extra: { type: 'string' } }), [['id']])];
    await expect(prepareTables(connection, later, 'chat.duckdb')).rejects.toThrow(IncompatibleTableError);
    await expect(prepareTables(connection, later, 'chat.duckdb')).rejects.toThrow(
      /^Table users in chat\.duckdb: column visits is VARCHAR where the users schema now wants BIGINT; rename or drop the table/,
    );
    expect(await all("SELECT column_name FROM duckdb_columns() WHERE table_name = 'users' AND column_name = 'extra'")).toEqual([]);
  });

  it('refuses a table of the same name that this sync did not make', async () => {
    await connection.run('CREATE TABLE users (id VARCHAR PRIMARY KEY, name VARCHAR)');
    await expect(prepareTables(connection, [contractOf('users', schema(), [['id']])], 'chat.duckdb')).rejects.toThrow(
      /has no column _data: it was not made by this sync/,
    );
  });

  it('gives the saved states of the tables that exist, not of a table dropped by hand (it is read whole again)', async () => {
    const contracts = [
      contractOf('users', schema(), [['id']]),
      contractOf('channels', { type: 'object', properties: { cid: { type: 'string' }, updated_at: BASE.updated_at } }, [['cid']]),
    ];
    await prepareTables(connection, contracts, 'chat.duckdb');
    await connection.run(`INSERT INTO _sync_state VALUES ('users', '{"updated_at":"x"}', now()), ('channels', '{"updated_at":"y"}', now())`);
    await connection.run('DROP TABLE channels');
    const prepared = await prepareTables(connection, contracts, 'chat.duckdb');
    expect([...prepared.states]).toEqual([['users', { updated_at: 'x' }]]);
    expect(prepared.created).toEqual(['channels']);
  });
});

describe('openError', () => {
  it('turns DuckDB opening errors into one sentence the user can act on', () => {
    const cases: Array<[string, RegExp]> = [
      [
        'IO Error: Could not set lock on file "/d/chat.duckdb": Conflicting lock is held in /usr/bin/node (PID 4242). See also https://duckdb.org/docs',
        /^chat\.duckdb is in use by another process \(\/usr\/bin\/node, PID 4242\): let it finish/,
      ],
      [
        'IO Error: The file "/d/chat.duckdb" exists, but it is not a valid DuckDB database file!',
        /^chat\.duckdb is not a DuckDB database, or it is damaged: move it aside/,
      ],
      ['IO Error: Cannot open file "/sys/chat.duckdb": Permission denied', /^Cannot write chat\.duckdb: the path is read-only or not permitted$/],
      ['IO Error: Could not read from file "/tmp": Is a directory', /^chat\.duckdb is a folder, not a database file$/],
      ['Something else\nwith details', /^Cannot open chat\.duckdb: Something else$/],
    ];
    for (const [message, expected] of cases) expect(openError('chat.duckdb', new Error(message)).message).toMatch(expected);
  });
});
