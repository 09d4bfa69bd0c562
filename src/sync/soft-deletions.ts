import { DELETION_MARKER, isStreamName, SOFT_DELETABLE_STREAMS } from '../records/index.js';
import type { SyncWriter } from './sync-writer.js';

/**
 * The writer with DELETION_MARKER added, as the record's `deleted_at`, to each soft-deleted channel,
 * message and user (mark_soft_deletions): a deduplicating destination then removes their rows.
 * Other records pass through untouched, their bytes too.
 */
export function markingSoftDeletions(writer: SyncWriter): SyncWriter {
  const marking: SyncWriter = {
    record: (stream, data, json) => {
      const deletedAt = isStreamName(stream) && SOFT_DELETABLE_STREAMS.includes(stream) ? data.deleted_at : undefined;
      if (typeof deletedAt !== 'string') return writer.record(stream, data, json);
      const marked = DELETION_MARKER in data ? { ...data, [DELETION_MARKER]: deletedAt } : { [DELETION_MARKER]: deletedAt, ...data };
      return writer.record(stream, marked, markedJson(deletedAt, data, json));
    },
    state: (stream, state) => writer.state(stream, state),
    log: (level, message) => writer.log(level, message),
    streamStatus: (stream, status, resetAt) => writer.streamStatus(stream, status, resetAt),
    estimate: (stream, rows) => writer.estimate(stream, rows),
  };
  if (writer.exportsWritten !== undefined) marking.exportsWritten = (done, planned) => writer.exportsWritten?.(done, planned);
  return marking;
}

/** The record's JSON text with the marker in front, when there is a text to extend (an object with a first key) and no marker in it. */
function markedJson(deletedAt: string, data: Record<string, unknown>, json: Uint8Array | undefined): Uint8Array | undefined {
  if (json === undefined || json[0] !== 0x7b || json[1] !== 0x22 || DELETION_MARKER in data) return undefined;
  return Buffer.concat([Buffer.from(`{"${DELETION_MARKER}":${JSON.stringify(deletedAt)},`), json.subarray(1)]);
}
