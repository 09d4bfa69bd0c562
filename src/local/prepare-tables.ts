import type { DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../errors.js';
import type { StreamName } from '../records/index.js';
import { isRecord } from '../utils/is-record.js';
import { identifier } from './sql.js';
import { DATA_COLUMN, SYNCED_AT_COLUMN, type Column, type ColumnType, type TableContract } from './table-contract.js';
import { addColumnSql, backfillColumnsSql, createStateTableSql, createTableSql, STATE_TABLE } from './table-sql.js';

/** A stream's table that no longer fits its schema: a column's type changed, or the primary key. */
export class IncompatibleTableError extends ConfigError {}

export interface PreparedTables {
  /** The saved state of each stream whose table was there already (a dropped table is read whole again). */
  states: Map<StreamName, Record<string, unknown>>;
  /** Per table, its rows before the sync. */
  rows: Map<StreamName, number>;
  created: StreamName[];
  /** Columns a newer schema added to existing tables, filled from `_data`. */
  added: Array<{ table: StreamName; column: string }>;
}

// How duckdb_columns() names the types of table-contract.ts.
const TYPE_NAMES: Record<ColumnType, string> = {
  VARCHAR: 'VARCHAR',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  BIGINT: 'BIGINT',
  BOOLEAN: 'BOOLEAN',
  DOUBLE: 'DOUBLE',
  JSON: 'JSON',
};

/**
 * In one transaction: `_sync_state`, each stream's table created on first use, columns that a newer
 * schema declares added (and filled from `_data`); then the saved states of the tables that existed.
 * A table whose columns no longer fit is an error naming the column, and nothing is changed.
 */
export async function prepareTables(connection: DuckDBConnection, contracts: readonly TableContract[], path: string): Promise<PreparedTables> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const prepared = await prepare(connection, contracts, path);
    await connection.run('COMMIT');
    return prepared;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function prepare(connection: DuckDBConnection, contracts: readonly TableContract[], path: string): Promise<PreparedTables> {
  await connection.run(createStateTableSql());
  const existing = await existingTables(connection);
  const prepared: PreparedTables = { states: new Map(), rows: new Map(), created: [], added: [] };
  for (const contract of contracts) {
    const table = existing.get(contract.name);
    if (table === undefined) {
      await connection.run(createTableSql(contract));
      prepared.created.push(contract.name);
      prepared.rows.set(contract.name, 0);
      continue;
    }
    // Every ALTER first: DuckDB cannot commit an UPDATE made between two ALTERs of its table.
    const missing = missingColumns(contract, table, path);
    for (const column of missing) await connection.run(addColumnSql(contract, column));
    if (missing.length > 0) await connection.run(backfillColumnsSql(contract, missing));
    for (const column of missing) prepared.added.push({ table: contract.name, column: column.name });
    const count = await connection.runAndReadAll(`SELECT count(*) AS rows FROM ${identifier(contract.name)}`);
    prepared.rows.set(contract.name, Number(count.getRowObjects()[0]?.rows ?? 0));
  }
  const kept = new Set(contracts.map((contract) => contract.name).filter((name) => existing.has(name)));
  const reader = await connection.runAndReadAll(`SELECT stream, stream_state::VARCHAR AS state FROM ${identifier(STATE_TABLE)}`);
  for (const row of reader.getRowObjects()) {
    const name = String(row.stream);
    const state: unknown = JSON.parse(String(row.state));
    const contract = contracts.find((candidate) => candidate.name === name);
    if (contract !== undefined && kept.has(contract.name) && isRecord(state)) prepared.states.set(contract.name, state);
  }
  return prepared;
}

interface ExistingTable {
  /** Column name → duckdb_columns().data_type. */
  columns: Map<string, string>;
  primaryKey: string[];
}

async function existingTables(connection: DuckDBConnection): Promise<Map<string, ExistingTable>> {
  const tables = new Map<string, ExistingTable>();
  const where = "database_name = current_database() AND schema_name = 'main'";
  const columns = await connection.runAndReadAll(
    `SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE ${where} ORDER BY table_name, column_index`,
  );
  for (const row of columns.getRowObjects()) {
    const name = String(row.table_name);
    const table = tables.get(name) ?? { columns: new Map(), primaryKey: [] };
    table.columns.set(String(row.column_name), String(row.data_type));
    tables.set(name, table);
  }
  const keys = await connection.runAndReadAll(
    `SELECT table_name, array_to_string(constraint_column_names, ',') AS columns FROM duckdb_constraints() WHERE ${where} AND constraint_type = 'PRIMARY KEY'`,
  );
  for (const row of keys.getRowObjects()) {
    const table = tables.get(String(row.table_name));
    if (table !== undefined) table.primaryKey = String(row.columns).split(',');
  }
  return tables;
}

/** The columns the contract has and the table lacks; an error for any that does not fit. */
function missingColumns(contract: TableContract, table: ExistingTable, path: string): Column[] {
  const where = `Table ${contract.name} in ${path}`;
  const advice = 'rename or drop the table and sync again: it is then rebuilt from scratch';
  for (const own of [DATA_COLUMN, SYNCED_AT_COLUMN]) {
    if (!table.columns.has(own)) throw new IncompatibleTableError(`${where} has no column ${own}: it was not made by this sync; ${advice}`);
  }
  if (table.primaryKey.join(',') !== contract.primaryKey.join(',')) {
    const actual = table.primaryKey.length === 0 ? 'no primary key' : `primary key (${table.primaryKey.join(', ')})`;
    throw new IncompatibleTableError(`${where} has ${actual} where the ${contract.name} stream's is (${contract.primaryKey.join(', ')}); ${advice}`);
  }
  const missing: Column[] = [];
  for (const column of contract.columns) {
    const actual = table.columns.get(column.name);
    if (actual === undefined) missing.push(column);
    else if (actual !== TYPE_NAMES[column.type]) {
      throw new IncompatibleTableError(`${where}: column ${column.name} is ${actual} where the ${contract.name} schema now wants ${column.type}; ${advice}`);
    }
  }
  return missing;
}
