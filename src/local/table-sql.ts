// The SQL of the local sync, one function per statement, built from a stream's table contract.
import { identifier, literal } from './sql.js';
import { CURSOR_COLUMN, DATA_COLUMN, SYNCED_AT_COLUMN, type Column, type TableContract } from './table-contract.js';

export const STATE_TABLE = '_sync_state';

/** Columns of a staged record beside its JSON: arrival order, primary key (as text), updated_at (as sent). */
const SEQ = '_seq';
const STAGED_CURSOR = '_cursor';

export function createStateTableSql(): string {
  return `CREATE TABLE IF NOT EXISTS ${identifier(STATE_TABLE)} (stream VARCHAR PRIMARY KEY, stream_state JSON NOT NULL, saved_at TIMESTAMPTZ NOT NULL)`;
}

/** Parameters: $stream, $state (JSON text). */
export function saveStateSql(): string {
  return (
    `INSERT INTO ${identifier(STATE_TABLE)} VALUES ($stream, $state::JSON, now()) ` +
    'ON CONFLICT (stream) DO UPDATE SET stream_state = excluded.stream_state, saved_at = excluded.saved_at'
  );
}

export function createTableSql(contract: TableContract): string {
  const columns = contract.columns.map(columnDefinition);
  const key = contract.primaryKey.map(identifier).join(', ');
  return `CREATE TABLE ${identifier(contract.name)} (${[...columns, `${identifier(DATA_COLUMN)} JSON NOT NULL`, `${identifier(SYNCED_AT_COLUMN)} TIMESTAMPTZ NOT NULL`, `PRIMARY KEY (${key})`].join(', ')})`;
}

export function addColumnSql(contract: TableContract, column: Column): string {
  return `ALTER TABLE ${identifier(contract.name)} ADD COLUMN ${columnDefinition(column)}`;
}

/** Fills columns added to an existing table from the rows' `_data`, which holds every field. */
export function backfillColumnsSql(contract: TableContract, columns: readonly Column[]): string {
  const typed = transform(`${identifier(DATA_COLUMN)}::VARCHAR`, columns);
  const sets = columns.map((column) => `${identifier(column.name)} = s.${identifier(column.name)}`);
  const key = contract.primaryKey.map((field) => `t.${identifier(field)} = s.${identifier(field)}`).join(' AND ');
  const keys = contract.primaryKey.map(identifier).join(', ');
  return `UPDATE ${identifier(contract.name)} AS t SET ${sets.join(', ')} FROM (SELECT ${keys}, unnest(${typed}) FROM ${identifier(contract.name)}) s WHERE ${key}`;
}

/** Where a stream's records wait for their merge: a temporary table of the loading connection. */
export function stageTableName(contract: TableContract): string {
  return `stage_${contract.name}`;
}

export function createStageTableSql(contract: TableContract): string {
  const keys = contract.primaryKey.map((_, index) => `${stagedKey(index)} VARCHAR NOT NULL`);
  // `_data` is JSON already: the appender stores the text as it is, without the second parse a
  // VARCHAR → JSON cast would make to validate it (the text comes from JSON.parse'd bytes or JSON.stringify).
  return `CREATE OR REPLACE TEMP TABLE ${identifier(stageTableName(contract))} (${SEQ} INTEGER NOT NULL, ${keys.join(', ')}, ${STAGED_CURSOR} VARCHAR, ${identifier(DATA_COLUMN)} JSON NOT NULL)`;
}

export function clearTableSql(contract: TableContract): string {
  return `DELETE FROM ${identifier(contract.name)}`;
}

/** Parameter: $stream. A full refresh drops the stream's old state with its old rows. */
export function deleteStateSql(): string {
  return `DELETE FROM ${identifier(STATE_TABLE)} WHERE stream = $stream`;
}

/**
 * The first half of a merge: staged records whose key is in the table replace its row when their
 * updated_at is not older (a missing updated_at is never older) and their content differs; the others
 * (a lookback's re-exports) are not even typed. Run before insertSql, which adds the new keys.
 */
export function updateSql(contract: TableContract, options: StagedOptions): string {
  const keyFields = new Set(contract.primaryKey);
  const nonKey = contract.columns.filter((column) => !keyFields.has(column.name));
  const data = identifier(DATA_COLUMN);
  const sets = [
    ...nonKey.map((column) => `${identifier(column.name)} = s.${identifier(column.name)}`),
    `${data} = s.${data}`,
    `${identifier(SYNCED_AT_COLUMN)} = now()`,
  ];
  const cursor = identifier(CURSOR_COLUMN);
  const newCursor = `TRY_CAST(st.${STAGED_CURSOR} AS TIMESTAMPTZ)`;
  // Content differs: the texts, then (for those only) the JSON they spell, since a record's text is
  // Stream's bytes when the read path has them and JSON.stringify's otherwise (escapes, numbers).
  const differs = `st.${data}::VARCHAR IS DISTINCT FROM t.${data}::VARCHAR AND json(st.${data}) IS DISTINCT FROM json(t.${data})`;
  const replaces = `(${newCursor} IS NULL OR t.${cursor} IS NULL OR ${newCursor} >= t.${cursor}) AND ${differs}`;
  return (
    `UPDATE ${identifier(contract.name)} AS t SET ${sets.join(', ')} ` +
    `FROM (${typedStaged(contract, options, `JOIN ${identifier(contract.name)} t ON ${keyMatch(contract, 't', 'st')} AND ${replaces}`)}) s ` +
    `WHERE ${keyMatch(contract, 't', 's')}`
  );
}

/**
 * The second half of a merge: the staged records whose key is not in the table, as new rows. With
 * `fresh` (no staged key can be in the table) there is no join with the table: the primary key's
 * index still refuses a key that is.
 */
export function insertSql(contract: TableContract, options: StagedOptions & { fresh?: boolean }): string {
  const values = contract.columns.map((column) => {
    const index = contract.primaryKey.indexOf(column.name);
    return index >= 0 ? `s.${stagedKey(index)}` : `s.${identifier(column.name)}`;
  });
  const names = [...contract.columns.map((column) => identifier(column.name)), identifier(DATA_COLUMN), identifier(SYNCED_AT_COLUMN)];
  return (
    `INSERT INTO ${identifier(contract.name)} (${names.join(', ')}) ` +
    `SELECT ${[...values, `s.${identifier(DATA_COLUMN)}`, 'now()'].join(', ')} ` +
    `FROM (${typedStaged(contract, options, options.fresh === true ? '' : `ANTI JOIN ${identifier(contract.name)} t ON ${keyMatch(contract, 't', 'st')}`)}) s`
  );
}

export interface StagedOptions {
  /** A key was staged more than once: keep only its newest record. */
  repeatedKeys: boolean;
}

/**
 * The staged records that `join` (with the table) keeps, typed from their JSON: parsed once, as
 * json_transform's struct is unnested (reading its fields one by one would transform the record once
 * per field).
 */
function typedStaged(contract: TableContract, options: StagedOptions, join: string): string {
  const keyFields = new Set(contract.primaryKey);
  const nonKey = contract.columns.filter((column) => !keyFields.has(column.name));
  const data = identifier(DATA_COLUMN);
  return (
    `SELECT ${stagedKeys(contract)}, st.${data}, unnest(${transform(`st.${data}`, nonKey)}) ` + `FROM ${staged(contract, options.repeatedKeys)} st ${join}`
  );
}

function keyMatch(contract: TableContract, table: string, stagedAlias: string): string {
  return contract.primaryKey.map((field, index) => `${table}.${identifier(field)} = ${stagedAlias}.${stagedKey(index)}`).join(' AND ');
}

/**
 * The staged records, one per key (an upsert may not meet a key twice): when a key repeats, the newest
 * by updated_at (a missing one counts as newest), then the last to arrive. The window sorts whole
 * records, so it runs only when the loader saw a key repeat.
 */
function staged(contract: TableContract, repeatedKeys: boolean): string {
  const stage = `temp.${identifier(stageTableName(contract))}`;
  if (!repeatedKeys) return stage;
  return (
    `(SELECT * FROM ${stage} st ` +
    `QUALIFY row_number() OVER (PARTITION BY ${stagedKeys(contract)} ORDER BY TRY_CAST(${STAGED_CURSOR} AS TIMESTAMPTZ) DESC NULLS FIRST, ${SEQ} DESC) = 1)`
  );
}

/** Per table: its rows, and how many of them were written at or after $since (the sync's start). */
export function rowCountsSql(contract: TableContract): string {
  return `SELECT count(*) AS rows, count(*) FILTER (WHERE ${identifier(SYNCED_AT_COLUMN)} >= $since::TIMESTAMPTZ) AS written FROM ${identifier(contract.name)}`;
}

/** json_transform parses the record once for every column; a value it cannot type becomes NULL (`_data` keeps it). */
function transform(json: string, columns: readonly Column[]): string {
  const structure = Object.fromEntries(columns.map((column) => [column.name, column.type]));
  return `json_transform(${json}, ${literal(JSON.stringify(structure))})`;
}

function stagedKeys(contract: TableContract, alias = 'st'): string {
  return contract.primaryKey.map((_, index) => `${alias}.${stagedKey(index)}`).join(', ');
}

function stagedKey(index: number): string {
  return `_key${index}`;
}

function columnDefinition(column: Column): string {
  return `${identifier(column.name)} ${column.type}`;
}
