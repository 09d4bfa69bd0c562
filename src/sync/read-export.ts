import type { ExportEntity } from '../export/entities.js';
import { parseExportBatches } from '../export/parse-export.js';
import { toRecords, type StreamName } from '../records/index.js';
import type { MemberLists } from './member-lists.js';
import type { MessageLists } from './message-lists.js';
import type { ReactionLists } from './reaction-lists.js';
import type { RecordSink } from './record-sink.js';
import { Skipped } from './skipped.js';

/** What one export file brought. */
export interface ExportRead {
  /** The channels something of which arrived: their instants may move. */
  arrived: Set<string>;
  skipped: Skipped;
  /** Said once per export as a WARN. */
  warnings: string[];
  /** Messages carry latest_reactions but no reaction line came: the file's reactions are not whole. */
  reactionLinesMissing: boolean;
}

/** What a job's files prove of its channels (see SyncWriter.memberLists and reactionLists), gathered over them all. */
export interface ExportProofs {
  members: MemberLists;
  reactions: ReactionLists;
  messages: MessageLists;
}

/**
 * Reads one downloaded export (the channels' member lists, when members are selected, into `memberLists`): entities (a downloaded chunk at a time, not a promise each) → records →
 * the sink. An entity's own record comes first, then the users embedded in it: those of a record
 * written are kept. User lines are not taken: users come from query users.
 */
export async function readExport(bytes: AsyncIterable<Buffer>, format: 'v1' | 'v2', sink: RecordSink, proofs?: ExportProofs): Promise<ExportRead> {
  const read: ExportRead = { arrived: new Set(), skipped: new Skipped(), warnings: [], reactionLinesMissing: false };
  const gathered = gatheredFor(sink, format, proofs);
  const reactions = { lines: 0, inMessages: 0 };
  for await (const entities of parseExportBatches(bytes, format, read.skipped.note)) {
    for (const entity of entities) {
      if (entity.cid !== undefined && entity.kind !== 'reaction') read.arrived.add(entity.cid);
      countReactions(entity, reactions);
      if (entity.kind !== 'user') await writeEntity(entity, sink, read.skipped.note, gathered);
    }
  }
  // v2 reactions come from reaction lines; Stream's v2 line format is undocumented, so say so
  // loudly if a file has reactions only inside messages.
  read.reactionLinesMissing = reactions.lines === 0 && reactions.inMessages > 0;
  if (sink.selects('reactions') && read.reactionLinesMissing) {
    read.warnings.push(
      `${reactions.inMessages} message(s) have latest_reactions but the export has no reaction lines, so their reactions were not written; export_format v1 takes reactions from latest_reactions`,
    );
  }
  return read;
}

/** The proofs a file's lines go to: undefined for what it cannot prove (a stream not selected, reactions of v1). */
interface Gathered {
  members: MemberLists | undefined;
  reactions: ReactionLists | undefined;
  messages: MessageLists | undefined;
}

function gatheredFor(sink: RecordSink, format: 'v1' | 'v2', proofs: ExportProofs | undefined): Gathered {
  return {
    members: sink.selects('members') ? proofs?.members : undefined,
    reactions: format === 'v2' && sink.selects('reactions') ? proofs?.reactions : undefined,
    messages: sink.selects('messages') ? proofs?.messages : undefined,
  };
}

async function writeEntity(entity: ExportEntity, sink: RecordSink, note: (reason: string) => void, gathered: Gathered): Promise<void> {
  let written = false;
  for (const record of toRecords(entity, note)) {
    if (gathered.members !== undefined) listMember(gathered.members, record.stream, record.data);
    if (gathered.reactions !== undefined) listReaction(gathered.reactions, record.stream, record.data);
    if (gathered.messages !== undefined) listMessage(gathered.messages, record.stream, record.data);
    let wait: Promise<void> | undefined;
    if (record.stream === 'users') wait = written ? sink.embeddedUser(record) : undefined;
    else if ((written = sink.admit(record.stream, record.data))) wait = sink.write(record, note);
    if (wait) await wait;
  }
}

function listMember(members: MemberLists, stream: StreamName, data: Record<string, unknown>): void {
  if (typeof data.cid !== 'string') return;
  if (stream === 'channels') members.channel(data.cid);
  else if (stream === 'members' && typeof data.user_id === 'string') members.member(data.cid, data.user_id);
}

function listMessage(messages: MessageLists, stream: StreamName, data: Record<string, unknown>): void {
  if (stream === 'channels' && typeof data.cid === 'string') messages.channel(data.cid);
  else if (stream === 'messages' && typeof data.id === 'string') messages.message(data.id);
}

function listReaction(reactions: ReactionLists, stream: StreamName, data: Record<string, unknown>): void {
  if (stream === 'messages' && typeof data.id === 'string') reactions.message(data.id);
  else if (stream === 'reactions' && typeof data.message_id === 'string' && typeof data.user_id === 'string' && typeof data.type === 'string') {
    reactions.reaction(data.message_id, data.user_id, data.type);
  }
}

function countReactions(entity: ExportEntity, counts: { lines: number; inMessages: number }): void {
  if (entity.kind === 'reaction') counts.lines += 1;
  else if (entity.kind === 'message' && !entity.reactionsInline && Array.isArray(entity.data.latest_reactions) && entity.data.latest_reactions.length > 0) {
    counts.inMessages += 1;
  }
}
