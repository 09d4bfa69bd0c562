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

/** Fills a column added to an existing table from the rows' `_data`, which holds every field. */
export function backfillColumnSql(contract: TableContract, column: Column): string {
  return `UPDATE ${identifier(contract.name)} SET ${identifier(column.name)} = (${transform(`${identifier(DATA_COLUMN)}::VARCHAR`, [column])}).${identifier(column.name)}`;
}

/** Where a stream's records wait for their merge: a temporary table of the loading connection. */
export function stageTableName(contract: TableContract): string {
  return `stage_${contract.name}`;
}

export function createStageTableSql(contract: TableContract): string {
  const keys = contract.primaryKey.map((_, index) => `${stagedKey(index)} VARCHAR NOT NULL`);
  return `CREATE OR REPLACE TEMP TABLE ${identifier(stageTableName(contract))} (${SEQ} INTEGER NOT NULL, ${keys.join(', ')}, ${STAGED_CURSOR} VARCHAR, ${identifier(DATA_COLUMN)} VARCHAR NOT NULL)`;
}

export function clearStageSql(contract: TableContract): string {
  return `DELETE FROM temp.${identifier(stageTableName(contract))}`;
}

export function clearTableSql(contract: TableContract): string {
  return `DELETE FROM ${identifier(contract.name)}`;
}

/**
 * Before a merge: how many staged keys are new to the table (`inserted`) and how many replace a row
 * written before this sync began (`updated`); parameter $since, the sync's start.
 */
export function countMergeSql(contract: TableContract): string {
  const table = identifier(contract.name);
  const join = contract.primaryKey.map((field, index) => `t.${identifier(field)} = s.${stagedKey(index)}`).join(' AND ');
  const firstKey = `t.${identifier(contract.primaryKey[0] ?? '')}`;
  return (
    `SELECT count(*) FILTER (WHERE ${firstKey} IS NULL) AS inserted, ` +
    `count(*) FILTER (WHERE ${firstKey} IS NOT NULL AND t.${identifier(SYNCED_AT_COLUMN)} < $since::TIMESTAMPTZ AND ${replaces('s.updated_at', 's._data', 't')}) AS updated ` +
    `FROM (SELECT ${stagedKeys(contract)}, TRY_CAST(${STAGED_CURSOR} AS TIMESTAMPTZ) AS updated_at, ${identifier(DATA_COLUMN)} AS _data FROM ${newestStaged(contract)}) s ` +
    `LEFT JOIN ${table} t ON ${join}`
  );
}

/**
 * The staged records into the table: per key the newest staged record (by updated_at, then arrival),
 * typed column by column from its JSON; it replaces the stored row when its updated_at is not older
 * (a missing updated_at is never older) and its content differs.
 */
export function mergeSql(contract: TableContract): string {
  const table = identifier(contract.name);
  const keyFields = new Set(contract.primaryKey);
  const values = contract.columns.map((column) => {
    const index = contract.primaryKey.indexOf(column.name);
    return index >= 0 ? `s.${stagedKey(index)}` : `s.r.${identifier(column.name)}`;
  });
  const names = [...contract.columns.map((column) => identifier(column.name)), identifier(DATA_COLUMN), identifier(SYNCED_AT_COLUMN)];
  const updates = [...contract.columns.filter((column) => !keyFields.has(column.name)).map((column) => column.name), DATA_COLUMN, SYNCED_AT_COLUMN]
    .map((name) => `${identifier(name)} = excluded.${identifier(name)}`)
    .join(', ');
  const data = identifier(DATA_COLUMN);
  const nonKey = contract.columns.filter((column) => !keyFields.has(column.name));
  return (
    `INSERT INTO ${table} (${names.join(', ')}) ` +
    `SELECT ${[...values, `s.${data}::JSON`, 'now()'].join(', ')} ` +
    `FROM (SELECT ${stagedKeys(contract)}, ${data}, ${transform(data, nonKey)} AS r FROM ${newestStaged(contract)}) s ` +
    `ON CONFLICT (${contract.primaryKey.map(identifier).join(', ')}) DO UPDATE SET ${updates} ` +
    `WHERE ${replaces(`excluded.${identifier(CURSOR_COLUMN)}`, `excluded.${data}::VARCHAR`, table)}`
  );
}

/** The staged records, one per key: the newest by updated_at (a missing one counts as newest), then the last to arrive. */
function newestStaged(contract: TableContract): string {
  const keys = contract.primaryKey.map((_, index) => stagedKey(index)).join(', ');
  return (
    `(SELECT * FROM temp.${identifier(stageTableName(contract))} ` +
    `QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY TRY_CAST(${STAGED_CURSOR} AS TIMESTAMPTZ) DESC NULLS FIRST, ${SEQ} DESC) = 1)`
  );
}

/** The merge rule: a record replaces a row unless its updated_at is older, and only when its content differs. */
function replaces(newCursor: string, newData: string, stored: string): string {
  const cursor = `${stored}.${identifier(CURSOR_COLUMN)}`;
  return `(${newCursor} IS NULL OR ${cursor} IS NULL OR ${newCursor} >= ${cursor}) AND ${newData} IS DISTINCT FROM ${stored}.${identifier(DATA_COLUMN)}::VARCHAR`;
}

/** json_transform parses the record once for every column; a value it cannot type becomes NULL (`_data` keeps it). */
function transform(json: string, columns: readonly Column[]): string {
  const structure = Object.fromEntries(columns.map((column) => [column.name, column.type]));
  return `json_transform(${json}, ${literal(JSON.stringify(structure))})`;
}

function stagedKeys(contract: TableContract): string {
  return contract.primaryKey.map((_, index) => stagedKey(index)).join(', ');
}

function stagedKey(index: number): string {
  return `_key${index}`;
}

function columnDefinition(column: Column): string {
  return `${identifier(column.name)} ${column.type}`;
}
