import type { StreamName } from '../records/index.js';
import type { Instant } from '../utils/instant.js';
import type { Selection } from './selection.js';

/**
 * How far one stream has got, in a size that does not grow with the app. The names are the ones on
 * disk (`updatedAt` is `updated_at`).
 */
export interface StreamState {
  /**
   * The window end of the last sync that finished. messages/reactions: every selected channel's
   * messages created up to it are written, but the lagging channels'; channels/members: a channel's own
   * updated_at or created_at after it is activity; users: query users' listing is written up to it.
   */
  cover?: Instant;
  /** channels/members: rows updated up to it are written (their cursor); the other streams: the newest written, for the record. */
  updatedAt?: Instant;
  /** The window end of the last full sweep. */
  swept?: Instant;
  /** Channels behind the cover, each with its own instant (null: nothing yet, read whole). */
  lagging: Record<string, Instant | null>;
  /** The channel selection the state is about: a channel outside it is new, read whole. */
  selection?: Selection;
  /** Set midway through a sync. */
  progress?: Progress;
}

/**
 * A sync that stopped midway had written every channel of its selection created before `createdBefore`
 * up to `until` (it lists channels in created_at order).
 */
export interface Progress {
  until: Instant;
  createdBefore: Instant;
  /** Those channels were swept. */
  sweep: boolean;
  /** The selection that sync ran with, when it differs from the state's. */
  selection?: Selection;
}

/** messages/reactions are covered by the window of their messages, channels/members by their rows' updated_at. */
export type StateShape = 'window' | 'rows';

export function shapeOf(stream: Exclude<StreamName, 'users'>): StateShape {
  return stream === 'messages' || stream === 'reactions' ? 'window' : 'rows';
}

/** Up to when a stream's own records are written: the cover of its messages' window, or its rows' updated_at. */
export function coveredOf(state: StreamState, shape: StateShape): Instant | undefined {
  return shape === 'window' ? state.cover : state.updatedAt;
}
