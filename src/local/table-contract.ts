import { SystemError } from '../errors.js';
import { airbyteStreams, DELETION_MARKER, type StreamName } from '../records/index.js';
import { isRecord } from '../utils/is-record.js';

/** The DuckDB types a stream column can have. */
export type ColumnType = 'VARCHAR' | 'TIMESTAMPTZ' | 'BIGINT' | 'BOOLEAN' | 'DOUBLE' | 'JSON';

export interface Column {
  name: string;
  type: ColumnType;
}

/** What a stream's table looks like: one typed column per top-level property (DELETION_MARKER aside), then `_data` and `_synced_at`. */
export interface TableContract {
  /** The table's name: the stream's. */
  name: StreamName;
  /** In the schema's order. */
  columns: Column[];
  /** Top-level properties, each a VARCHAR column. */
  primaryKey: string[];
}

/** The whole record as JSON: custom fields and nested objects included. */
export const DATA_COLUMN = '_data';
/** When the row's content was last written (the writing transaction's start). */
export const SYNCED_AT_COLUMN = '_synced_at';
/** Rows replace each other by this column: a record not older than the stored row replaces it. */
export const CURSOR_COLUMN = 'updated_at';

/** Each stream's table contract, from the JSON schema and primary key `discover` gives it. */
export function tableContracts(): Map<StreamName, TableContract> {
  return new Map(airbyteStreams().map((stream) => [stream.name, contractOf(stream.name, stream.json_schema, stream.source_defined_primary_key)]));
}

export function contractOf(name: StreamName, schema: Record<string, unknown>, primaryKey: string[][]): TableContract {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  // A mirror deletes rows rather than marking them: the marker is Airbyte mode's alone.
  const columns = Object.entries(properties)
    .filter(([column]) => column !== DELETION_MARKER)
    .map(([column, property]) => ({ name: column, type: columnType(isRecord(property) ? property : {}) }));
  for (const reserved of [DATA_COLUMN, SYNCED_AT_COLUMN]) {
    if (reserved in properties) throw new SystemError(`The ${name} schema declares ${reserved}, a column the local sync keeps for itself`);
  }
  const key = primaryKey.map((path) => {
    const [field] = path;
    if (path.length !== 1 || field === undefined) throw new SystemError(`The ${name} primary key ${JSON.stringify(path)} is not a top-level field`);
    return field;
  });
  const byName = new Map(columns.map((column) => [column.name, column]));
  for (const field of [...key, CURSOR_COLUMN]) {
    if (byName.get(field) === undefined) throw new SystemError(`The ${name} schema has no property ${field}`);
  }
  for (const field of key) {
    if (byName.get(field)?.type !== 'VARCHAR') throw new SystemError(`The ${name} primary key field ${field} is not a string`);
  }
  if (byName.get(CURSOR_COLUMN)?.type !== 'TIMESTAMPTZ') throw new SystemError(`The ${name} ${CURSOR_COLUMN} is not a date-time`);
  return { name, columns, primaryKey: key };
}

/**
 * A JSON schema property → its column type. Nullable types (`["string", "null"]`) take their other
 * type; a property with several other types, or none, keeps its JSON.
 */
export function columnType(property: Record<string, unknown>): ColumnType {
  const declared = Array.isArray(property.type) ? property.type : [property.type];
  const types = declared.filter((type) => type !== 'null');
  if (types.length !== 1) return 'JSON';
  switch (types[0]) {
    case 'string':
      return property.format === 'date-time' ? 'TIMESTAMPTZ' : 'VARCHAR';
    case 'integer':
      return 'BIGINT';
    case 'boolean':
      return 'BOOLEAN';
    case 'number':
      return 'DOUBLE';
    default:
      return 'JSON';
  }
}
