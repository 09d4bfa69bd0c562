// Validates messages against the vendored official Airbyte protocol schema (airbyte_protocol.yaml).
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const SCHEMA_PATH = new URL('../fixtures/airbyte-protocol/airbyte_protocol.yaml', import.meta.url);

/** The payload field each message type must carry (the schema itself does not tie them). */
export const PAYLOAD_FIELD = {
  RECORD: 'record',
  STATE: 'state',
  LOG: 'log',
  SPEC: 'spec',
  CONNECTION_STATUS: 'connectionStatus',
  CATALOG: 'catalog',
  TRACE: 'trace',
  CONTROL: 'control',
  DESTINATION_CATALOG: 'destination_catalog',
} as const;

let validators: Map<string, ValidateFunction> | undefined;

/** A validator for any definition of the protocol schema, e.g. 'AirbyteMessage', 'ConfiguredAirbyteCatalog'. */
export function protocolValidator(definition: string): ValidateFunction {
  validators ??= new Map();
  let validate = validators.get(definition);
  if (validate === undefined) {
    validate = schemaRegistry().getSchema(`${schemaId()}#/definitions/${definition}`);
    if (validate === undefined) throw new Error(`airbyte_protocol.yaml has no definition ${definition}`);
    validators.set(definition, validate);
  }
  return validate;
}

/** Throws, naming every problem, unless `message` is a valid AirbyteMessage with the payload its type asks for. */
export function assertValidMessage(message: unknown): void {
  const problems = messageProblems(message);
  if (problems.length > 0) throw new Error(`Invalid Airbyte message: ${problems.join('; ')}\n${JSON.stringify(message)}`);
}

export function messageProblems(message: unknown): string[] {
  const validate = protocolValidator('AirbyteMessage');
  const problems = validate(message) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
  const type = (message as { type?: unknown } | null)?.type;
  const field = PAYLOAD_FIELD[type as keyof typeof PAYLOAD_FIELD] as string | undefined;
  const payload = field === undefined ? undefined : (message as Record<string, unknown>)[field];
  if (field !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) {
    problems.push(`a ${String(type)} message needs an object in "${field}"`);
  }
  return problems;
}

let ajv: Ajv | undefined;
let id: string | undefined;

function schemaRegistry(): Ajv {
  if (ajv === undefined) {
    const schema = parse(readFileSync(SCHEMA_PATH, 'utf8')) as { $id: string };
    id = schema.$id;
    ajv = new Ajv({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
    addFormats(ajv);
    ajv.addSchema(schema);
  }
  return ajv;
}

function schemaId(): string {
  schemaRegistry();
  return id!;
}
