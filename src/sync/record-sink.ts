import type { StreamName, StreamRecord } from '../records/index.js';
import type { Checkpoints } from './checkpoints.js';
import type { EmbeddedUsers } from './embedded-users.js';
import type { Ledger } from './ledger.js';

/** Where the records of an export go. */
export interface RecordSink {
  /** Whether the stream is in the catalog. */
  selects(stream: StreamName): boolean;
  /** Whether the record is new for its stream, which is selected: it is then to be written. */
  admit(stream: StreamName, data: Record<string, unknown>): boolean;
  /** A promise means: wait for it before writing more. */
  write(record: StreamRecord, note: (reason: string) => void): Promise<void> | undefined;
  /** A user embedded in a record written, kept for referential completeness. */
  embeddedUser(record: StreamRecord): Promise<void> | undefined;
}

/** Records judged by the ledger, written through the checkpoints; embedded users looked up. */
export function recordSink(ledger: Ledger, checkpoints: Checkpoints, embeddedUsers: EmbeddedUsers | undefined): RecordSink {
  return {
    selects: (stream) => ledger.has(stream),
    admit: (stream, data) => ledger.has(stream) && ledger.admit(stream, data),
    write: (record, note) => writeRecord(checkpoints, record, note),
    embeddedUser: (record) => embeddedUsers?.add(record.data, record.json),
  };
}

/** A record nested deeper than JSON.stringify can go (Stream's own bytes aside) is an odd line: skipped, counted. */
function writeRecord(checkpoints: Checkpoints, { stream, data, json }: StreamRecord, note: (reason: string) => void): Promise<void> | undefined {
  try {
    return checkpoints.record(stream, data, json);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const first = [data.id, data.cid, data.message_id].find((value) => typeof value === 'string') ?? '?';
    note(`${stream} record(s) nested too deeply to write as JSON (${first} first): skipped`);
    return undefined;
  }
}
