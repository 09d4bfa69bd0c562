import type { ExportEntity } from '../export/entities.js';
import { parseExportBatches } from '../export/parse-export.js';
import { toRecords } from '../records/index.js';
import type { RecordSink } from './record-sink.js';
import { Skipped } from './skipped.js';

/** What one export file brought. */
export interface ExportRead {
  /** The channels something of which arrived: their instants may move. */
  arrived: Set<string>;
  skipped: Skipped;
  /** Said once per export as a WARN. */
  warnings: string[];
}

/**
 * Reads one downloaded export: entities (a downloaded chunk at a time, not a promise each) → records →
 * the sink. An entity's own record comes first, then the users embedded in it: those of a record
 * written are kept. User lines are not taken: users come from query users.
 */
export async function readExport(bytes: AsyncIterable<Buffer>, format: 'v1' | 'v2', sink: RecordSink): Promise<ExportRead> {
  const read: ExportRead = { arrived: new Set(), skipped: new Skipped(), warnings: [] };
  const reactions = { lines: 0, inMessages: 0 };
  for await (const entities of parseExportBatches(bytes, format, read.skipped.note)) {
    for (const entity of entities) {
      if (entity.cid !== undefined && entity.kind !== 'reaction') read.arrived.add(entity.cid);
      countReactions(entity, reactions);
      if (entity.kind !== 'user') await writeEntity(entity, sink, read.skipped.note);
    }
  }
  // v2 reactions come from reaction lines; Stream's v2 line format is undocumented, so say so
  // loudly if a file has reactions only inside messages.
  if (sink.selects('reactions') && reactions.lines === 0 && reactions.inMessages > 0) {
    read.warnings.push(
      `${reactions.inMessages} message(s) have latest_reactions but the export has no reaction lines, so their reactions were not written; export_format v1 takes reactions from latest_reactions`,
    );
  }
  return read;
}

async function writeEntity(entity: ExportEntity, sink: RecordSink, note: (reason: string) => void): Promise<void> {
  let written = false;
  for (const record of toRecords(entity, note)) {
    let wait: Promise<void> | undefined;
    if (record.stream === 'users') wait = written ? sink.embeddedUser(record) : undefined;
    else if ((written = sink.admit(record.stream, record.data))) wait = sink.write(record, note);
    if (wait) await wait;
  }
}

function countReactions(entity: ExportEntity, counts: { lines: number; inMessages: number }): void {
  if (entity.kind === 'reaction') counts.lines += 1;
  else if (entity.kind === 'message' && !entity.reactionsInline && Array.isArray(entity.data.latest_reactions) && entity.data.latest_reactions.length > 0) {
    counts.inMessages += 1;
  }
}
