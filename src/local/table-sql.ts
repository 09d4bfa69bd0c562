// The SQL of the local sync, one function per statement, built from a stream's table contract.
import type { MemberList } from '../sync/member-lists.js';
import type { MessageProof } from '../sync/message-lists.js';
import { KEY_SEPARATOR, type ReactionList } from '../sync/reaction-lists.js';
import { identifier, literal } from './sql.js';
import { CURSOR_COLUMN, DATA_COLUMN, SYNCED_AT_COLUMN, type Column, type TableContract } from './table-contract.js';

export const STATE_TABLE = '_sync_state';

/** A staged record's updated_at, typed, beside its key (`_key0`, …) and its JSON. */
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

/** Records waiting for their merge: a file of JSON lines (see StageFile). */
export interface Stage {
  path: string;
  /** Bytes of its longest line. */
  longest: number;
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
export function updateSql(contract: TableContract, stage: Stage): string {
  const keyFields = new Set(contract.primaryKey);
  const nonKey = contract.columns.filter((column) => !keyFields.has(column.name));
  const data = identifier(DATA_COLUMN);
  const sets = [
    ...nonKey.map((column) => `${identifier(column.name)} = s.${identifier(column.name)}`),
    `${data} = s.${data}`,
    `${identifier(SYNCED_AT_COLUMN)} = now()`,
  ];
  const cursor = identifier(CURSOR_COLUMN);
  const newCursor = `st.${STAGED_CURSOR}`;
  // Content differs: the texts, then (for those only) the JSON they spell, since a record's text is
  // Stream's bytes when the read path has them and JSON.stringify's otherwise (escapes, numbers).
  const differs = `st.${data}::VARCHAR IS DISTINCT FROM t.${data}::VARCHAR AND json(st.${data}) IS DISTINCT FROM json(t.${data})`;
  const replaces = `(${newCursor} IS NULL OR t.${cursor} IS NULL OR ${newCursor} >= t.${cursor}) AND ${differs}`;
  return (
    `UPDATE ${identifier(contract.name)} AS t SET ${sets.join(', ')} ` +
    `FROM (${typed(nonKey, `${keyed(contract, stage)} st JOIN ${identifier(contract.name)} t ON ${keyMatch(contract, 't', 'st')} AND ${replaces}`, stagedKeys(contract))}) s ` +
    `WHERE ${keyMatch(contract, 't', 's')}`
  );
}

/**
 * The second half of a merge: the staged records whose key is not in the table, as new rows. With
 * `fresh` (no staged key can be in the table) there is no join with the table: the primary key's
 * index still refuses a key that is.
 */
export function insertSql(contract: TableContract, stage: Stage, options: { fresh?: boolean } = {}): string {
  const names = [...contract.columns.map((column) => identifier(column.name)), identifier(DATA_COLUMN), identifier(SYNCED_AT_COLUMN)];
  const values = [...contract.columns.map((column) => `s.${identifier(column.name)}`), `s.${identifier(DATA_COLUMN)}`, 'now()'];
  const source =
    options.fresh === true
      ? `(SELECT json AS ${identifier(DATA_COLUMN)} FROM ${stageRows(stage)}) st`
      : `${keyed(contract, stage)} st ANTI JOIN ${identifier(contract.name)} t ON ${keyMatch(contract, 't', 'st')}`;
  return `INSERT INTO ${identifier(contract.name)} (${names.join(', ')}) SELECT ${values.join(', ')} FROM (${typed(contract.columns, source)}) s`;
}

/**
 * `source`'s records (as `st`), typed from their JSON: parsed once, as json_transform's struct is
 * unnested (reading its fields one by one would transform the record once per field).
 */
function typed(columns: readonly Column[], source: string, keys?: string): string {
  const data = identifier(DATA_COLUMN);
  return `SELECT ${keys === undefined ? '' : `${keys}, `}st.${data}, unnest(${transform(`st.${data}`, columns)}) FROM ${source}`;
}

/** The stage's records with their key (`_key0`, …) and updated_at (`_cursor`): all a join with the table needs. */
function keyed(contract: TableContract, stage: Stage): string {
  const fields = [...contract.primaryKey, CURSOR_COLUMN];
  const structure = Object.fromEntries(fields.map((field) => [field, field === CURSOR_COLUMN ? 'TIMESTAMPTZ' : 'VARCHAR']));
  const keys = contract.primaryKey.map((field, index) => `k.${identifier(field)} AS ${stagedKey(index)}`);
  return (
    `(SELECT json AS ${identifier(DATA_COLUMN)}, ${keys.join(', ')}, k.${identifier(CURSOR_COLUMN)} AS ${STAGED_CURSOR} ` +
    `FROM (SELECT json, json_transform(json, ${literal(JSON.stringify(structure))}) AS k FROM ${stageRows(stage)}))`
  );
}

/**
 * The stage file as rows of one JSON column, `json`: read as a CSV of one column, each line whole. A
 * line is one record's JSON, which holds no control character but its line break (JSON escapes them
 * in strings), so \x01 never splits it and nothing is quoted; the lines were JSON when staged. This
 * reader takes the buffer it is given (DuckDB's JSON reader pins 64 MiB a scan, whatever it reads).
 */
function stageRows(stage: Stage): string {
  const line = Math.max(1 << 20, stage.longest + 2);
  return (
    `(SELECT json::JSON AS json FROM read_csv(${literal(stage.path)}, columns = {'json': 'VARCHAR'}, header = false, auto_detect = false, ` +
    `delim = '\x01', quote = '', escape = '', new_line = '\\n', max_line_size = ${line}, buffer_size = ${2 * line}))`
  );
}

function keyMatch(contract: TableContract, table: string, stagedAlias: string): string {
  return contract.primaryKey.map((field, index) => `${table}.${identifier(field)} = ${stagedAlias}.${stagedKey(index)}`).join(' AND ');
}

/** What a merge deletes, in its transaction, after its records: rows Stream no longer has. */
export interface Deletion {
  sql: string;
  params: Record<string, string>;
}

/** The members of the listed channels that their whole member lists do not name. */
export function unlistedMembersDeletion(contract: TableContract, lists: readonly MemberList[]): Deletion {
  const cids = lists.map((list) => list.cid);
  const keys = lists.flatMap((list) => list.userIds.map((userId) => `${list.cid}${KEY_SEPARATOR}${userId}`));
  return {
    sql:
      `DELETE FROM ${identifier(contract.name)} WHERE cid IN (SELECT unnest(from_json($cids::JSON, '["VARCHAR"]'))) ` +
      `AND cid || ${literal(KEY_SEPARATOR)} || user_id NOT IN (SELECT unnest(from_json($keys::JSON, '["VARCHAR"]')))`,
    params: { cids: JSON.stringify(cids), keys: JSON.stringify(keys) },
  };
}

/** The messages created in the windows of `proof` that it does not hold: `target` is the messages table, or the reactions table (of those messages). */
export function unlistedMessagesDeletion(target: TableContract, proof: MessageProof): Deletion {
  const windows = `SELECT unnest(from_json($lists::JSON, '[{"cid":"VARCHAR","after":"TIMESTAMPTZ","before":"TIMESTAMPTZ"}]'), recursive := true)`;
  const gone =
    `SELECT m.id FROM messages m WHERE m.id NOT IN (SELECT unnest(from_json($ids::JSON, '["VARCHAR"]'))) ` +
    `AND EXISTS (SELECT 1 FROM (${windows}) w WHERE m.cid = w.cid AND (w.after IS NULL OR m.created_at > w.after) AND m.created_at < w.before)`;
  const column = target.name === 'reactions' ? 'message_id' : 'id';
  return {
    sql: `DELETE FROM ${identifier(target.name)} WHERE ${identifier(column)} IN (${gone})`,
    params: { lists: JSON.stringify(proof.lists), ids: JSON.stringify(proof.ids) },
  };
}

/** The reactions of the listed messages that their list does not hold. */
export function unlistedReactionsDeletion(contract: TableContract, list: ReactionList): Deletion {
  const key = ['message_id', 'user_id', 'type'].map(identifier).join(` || ${literal(KEY_SEPARATOR)} || `);
  return {
    sql:
      `DELETE FROM ${identifier(contract.name)} WHERE message_id IN (SELECT unnest(from_json($ids::JSON, '["VARCHAR"]'))) ` +
      `AND ${key} NOT IN (SELECT unnest(from_json($keys::JSON, '["VARCHAR"]')))`,
    params: { ids: JSON.stringify(list.messageIds), keys: JSON.stringify(list.keys) },
  };
}

/** The bytes DuckDB's indexes (the primary keys') hold in memory. */
export function indexMemorySql(): string {
  return "SELECT memory_usage_bytes FROM duckdb_memory() WHERE tag = 'ART_INDEX'";
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
