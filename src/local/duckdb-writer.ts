import { SystemError } from '../errors.js';
import type { LogLevel, StreamStatus } from '../protocol/message-types.js';
import type { SyncWriter } from '../sync/sync-writer.js';
import type { ConsoleReport } from './console-report.js';
import type { StreamLoader } from './stream-loader.js';
import type { MemberList } from '../sync/member-lists.js';
import type { ReactionList } from '../sync/reaction-lists.js';
import type { MessageProof } from '../sync/message-lists.js';
import { unlistedMembersDeletion, unlistedMessagesDeletion, unlistedReactionsDeletion } from './table-sql.js';

/**
 * runSync's output into the database: each stream's records to its loader, each state committed
 * with the records before it; logs and statuses to the person watching.
 */
export class DuckDBWriter implements SyncWriter {
  constructor(
    private readonly loaders: ReadonlyMap<string, StreamLoader>,
    private readonly report: ConsoleReport,
  ) {}

  record(stream: string, data: Record<string, unknown>, json?: Uint8Array): Promise<void> | undefined {
    this.report.record(stream);
    return this.loader(stream).add(data, json);
  }

  state(stream: string, streamState: Record<string, unknown>): undefined {
    this.loader(stream).save(streamState);
    return undefined;
  }

  log(level: LogLevel, message: string): undefined {
    return this.report.log(level, message);
  }

  streamStatus(stream: string, status: StreamStatus, rateLimitedResetAt?: Date): undefined {
    return this.report.streamStatus(stream, status, rateLimitedResetAt);
  }

  memberLists(lists: readonly MemberList[]): void {
    const members = this.loaders.get('members');
    members?.remove(unlistedMembersDeletion(members.contract, lists));
  }

  reactionLists(list: ReactionList): void {
    const reactions = this.loaders.get('reactions');
    reactions?.remove(unlistedReactionsDeletion(reactions.contract, list));
  }

  /** Reactions first: a sync killed between the two leaves their messages, so the next one finds them again. */
  messageLists(proof: MessageProof): void {
    const messages = this.loaders.get('messages');
    if (messages === undefined) return;
    const reactions = this.loaders.get('reactions');
    reactions?.remove(unlistedMessagesDeletion(reactions.contract, proof));
    messages.remove(unlistedMessagesDeletion(messages.contract, proof));
  }

  exportsWritten(done: number, planned: number): void {
    this.report.exportsWritten(done, planned);
  }

  estimate(): undefined {
    return undefined;
  }

  private loader(stream: string): StreamLoader {
    const loader = this.loaders.get(stream);
    if (loader === undefined) throw new SystemError(`No table is being loaded for stream ${stream}`);
    return loader;
  }
}
