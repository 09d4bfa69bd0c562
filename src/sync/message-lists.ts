import type { PlannedChannel } from '../plan/plan.js';
import type { Instant } from '../utils/instant.js';

/** A channel's export window and every message created in it, as the export held them. */
export interface MessageList {
  cid: string;
  /** Messages created after this (RFC 3339); undefined: the channel's whole history. */
  after: string | undefined;
  /** Messages created before this (RFC 3339). */
  before: string;
}

/** What an export proves of its channels' messages: the windows of the channels whose line it held, and the ids of all their messages. */
export interface MessageProof {
  lists: MessageList[];
  ids: string[];
}

/**
 * The messages of an export: it holds every message created in each channel's window, so the other
 * messages of that channel created in the window are gone. The window's ends are left out (whether
 * Stream's bounds are inclusive is not documented).
 */
export class MessageLists {
  private readonly channels = new Set<string>();
  private readonly ids = new Set<string>();

  constructor(
    private readonly planned: readonly PlannedChannel[],
    private readonly until: Instant,
  ) {}

  channel(cid: string): void {
    this.channels.add(cid);
  }

  message(id: string): void {
    this.ids.add(id);
  }

  whole(): MessageProof {
    const lists = this.planned
      .filter((channel) => this.channels.has(channel.cid))
      .map((channel) => ({ cid: channel.cid, after: channel.since?.toString(), before: this.until.toString() }));
    return { lists, ids: lists.length === 0 ? [] : [...this.ids] };
  }
}
