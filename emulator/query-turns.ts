import { hash, unit } from './random.js';

// What Stream leaves open in a listing answer, decided per request against the client (stream-export-api.md
// §7.1): the order of channels or users that tie on every sort key, and whether the page comes short
// before the end (seen in stream-chat-js #970, #598). Each is a pure function of the seed, the endpoint
// and the request's number, so a run replays exactly.

export interface QueryTurn {
  /** Salts the hash that orders ties: another request, another order. */
  tieSalt: number;
  /** When defined, the page is cut to a non-empty prefix at this fraction of its rows after the first. */
  shortAt?: number;
}

const ENDPOINTS = { QueryChannels: 1, QueryUsers: 2 } as const;
export type ListingEndpoint = keyof typeof ENDPOINTS;

/** About one answer in five comes short. */
const SHORT_PAGE_SHARE = 0.2;

export class QueryTurns {
  private readonly counts: Record<ListingEndpoint, number> = { QueryChannels: 0, QueryUsers: 0 };

  constructor(
    private readonly seed: number,
    private readonly shortPages: boolean,
  ) {}

  /** The next request's turn; numbers count per endpoint from 1. */
  next(endpoint: ListingEndpoint): QueryTurn {
    const n = ++this.counts[endpoint];
    const code = ENDPOINTS[endpoint];
    const short = this.shortPages && unit(this.seed, 60, code, n) < SHORT_PAGE_SHARE;
    return { tieSalt: hash(this.seed, 61, code, n), shortAt: short ? unit(this.seed, 62, code, n) : undefined };
  }
}
