import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Budget, type BudgetOptions, type BudgetStats, type BudgetUsage } from './budget.js';
import { DataSet, DEFAULT_LONELY_USERS } from './data-set.js';
import { DownloadServer, type DownloadRecord } from './download-server.js';
import type { CustomData } from './custom-data.js';
import type { LineFormat } from './export-file.js';
import { Faults, type FaultName } from './faults.js';
import { QueryTurns } from './query-turns.js';
import { BASE, SPAN, type ImportedChannels } from './generated.js';
import { RateLimits, type RateLimitedStats, type RateLimitOptions } from './rate-limits.js';
import { ApiServer, type ApiRequestRecord } from './server.js';
import { Tasks } from './tasks.js';
import { parseMicros } from './time.js';
import type { UserIdStyle } from './user-ids.js';

export { DataSet, DataView } from './data-set.js';
export type {
  AddChannelOptions,
  AddChannelsOptions,
  AddMessageOptions,
  AddUserOptions,
  DeleteUserOptions,
  EntityCounts,
  ExportEntity,
  GroundTruthOptions,
  QueryableUsersOptions,
} from './data-set.js';
export type { DownloadRecord } from './download-server.js';
export type { UserIdStyle } from './user-ids.js';
export type { CustomData } from './custom-data.js';
export { Faults } from './faults.js';
export type {
  ChunkedDownloadsFault,
  CreateChannelAfterQueriesFault,
  CutDownloadFault,
  DeleteChannelAfterQueriesFault,
  FaultName,
  RateLimitFault,
  ServerErrorFault,
  UnknownTaskStatusFault,
} from './faults.js';
export type { ApiRequestRecord, RequestCost } from './server.js';
export { queryCost, CHEAP_FILTER_FIELDS, CHEAP_SORT_FIELDS } from './budget.js';
export type { BudgetOptions, BudgetStats, BudgetUsage, QueryCost } from './budget.js';
export type { RateLimitedCounts, RateLimitedStats, RateLimitOptions } from './rate-limits.js';
export { signToken } from './auth.js';

export const DEFAULT_API_KEY = 'emulator-api-key';
export const DEFAULT_API_SECRET = 'emulator-api-secret-not-for-production';
const BUCKET = 'stream-chat-exports';

/** Channels as a bulk import leaves them: one created_at for all, ids `imported-00000`… after the generated channels. */
export interface ImportedChannelsOptions {
  /** Channels with exactly one message each, at its own instant: distinct seconds after createdAt, in no id order. */
  withMessage: number;
  /** Channels with no message (so no last_message_at), sharing createdAt and one updatedAt. */
  withoutMessage: number;
  /** RFC3339; default 2025-01-01T00:00:00Z (just after the generated messages). */
  createdAt?: string;
  /** RFC3339, the updated_at of the channels without message; default createdAt + 1 hour. Those with one keep updated_at = createdAt. */
  updatedAt?: string;
  /** Each channel has 3–6 members drawn from the first `memberPool` users (at least 3); default usersCount. */
  memberPool?: number;
  /** Default the first of channelTypes. */
  type?: string;
}

export interface EmulatorOptions {
  /** API port on 127.0.0.1; default 0 (a free port). */
  port?: number;
  /** Download ("object store") port; default 0 (a free port). */
  downloadPort?: number;
  apiKey?: string;
  apiSecret?: string;
  /** Default 42. Same seed, same options: byte-identical export files. */
  seed?: number;
  /** Default 10 (channel 4 of every 10 is truncated, channel 7 soft-deleted). */
  channels?: number;
  /**
   * One created_at for every generated channel (RFC3339), as after a bulk import; default: each its own,
   * a month or two before its first message.
   */
  channelsCreatedAt?: string;
  /** Default 100; spread over the 90 days before 2025-01-01. */
  messagesPerChannel?: number;
  /** Default 25: the users channels draw their members from. */
  usersCount?: number;
  /**
   * Default 'plain' (`user-0000`…). 'mixed' gives ids in mixed case with `-`, `_` and `.` (`User-000-a`,
   * `user_001`, `Ada.Lovelace-2`, `USER.003`, `user-004`…) whose collation order is not JavaScript's `<` order.
   */
  userIdStyle?: UserIdStyle;
  /** Channels as a bulk import leaves them, after the generated ones; default none. */
  importedChannels?: ImportedChannelsOptions;
  /** Default 5: users after those, members of no channel, so that only query users lists them. */
  lonelyUsers?: number;
  /** Default ['messaging', 'livestream', 'team'], assigned to channels in turn. */
  channelTypes?: string[];
  /** Time from `waiting` to `completed` (at least; the file must also be written). Default 200. */
  taskLatencyMs?: number;
  /**
   * Where every entity sent (query answers and export files) carries its custom data: 'flat' (default)
   * at the top level beside Stream's own fields, as seen on the wire; 'nested' in a `custom` object
   * (`{}` when empty), as Stream's OpenAPI spec says. Ground truth (`emulator.data`) is always flat.
   */
  customData?: CustomData;
  /** v2 line shape: `{"type","data"}` (default) or the bare entity. */
  lineFormat?: LineFormat;
  /** v2 channel exports have reaction lines (default true); false leaves reactions only in latest_reactions. */
  reactionLines?: boolean;
  /** Gzip channel export files (user exports stay plain). Default false. */
  gzip?: boolean;
  /** Lifetime of signed download URLs, rounded up to whole seconds. Default 24 h. */
  urlTtlMs?: number;
  /** Default 100 (Stream's OpenAPI maximum; its guides say 25). More in one request → 400 code 4. */
  maxChannelsPerExport?: number;
  /**
   * Whether a thread reply moves its channel's `last_message_at` (default true). Stream does not say;
   * false makes replies invisible to activity, the case a connector's full sweep must catch.
   */
  repliesMoveLastMessageAt?: boolean;
  /** The host clock the emulator's clock is read from. Default: real time. */
  now?: () => Date;
  /**
   * How far the emulator's clock (Stream's, as it were) is ahead of `now` (negative: behind). Default 0.
   * It drives the Date header of every API response, mutation stamps, task times, URL expiry, token
   * times, rate-limit windows and an export's default end.
   */
  clockOffsetMs?: number;
  /**
   * Default true: about one answer in five of query channels and of query users (seeded by request
   * number) is a non-empty prefix of its page, shorter than `limit` though more rows follow, as Stream
   * has been seen to answer. False gives whole pages, for a test that needs exact paging figures.
   * Either way, rows that tie on every sort key come in a new order at every request.
   */
  shortPages?: boolean;
  /**
   * Stream's API budget for query channels (stream-export-api.md §8.4), always on: every answer carries
   * X-Budget-Used-Ms, X-Budget-Limit-Ms, X-Budget-Remaining-Ms; a query that would pass the limit is
   * refused 429 (code 9) with Retry-After. Defaults: limitMs 60,000 per sliding minute (normal tests
   * never reach it), cheapMs 10, expensiveMs 300, ownUsersShare 0.
   */
  budget?: BudgetOptions;
  /**
   * Enforcement of each endpoint's per-minute limit and per-second limit (per-minute / 30): a request past
   * either is refused 429 (code 9) with Retry-After. Default: both on.
   */
  rateLimits?: RateLimitOptions;
  /** Called as each API response finishes (e.g. to log it). */
  onRequest?: (record: ApiRequestRecord) => void;
}

export interface EmulatorStats {
  requests: number;
  exportsCreated: number;
  userExportsCreated: number;
  tasksPolled: number;
  /** Requests to POST /channels (QueryChannels), faulted ones included. */
  queryChannels: number;
  /** Requests to GET /users (QueryUsers), faulted ones included. */
  queryUsers: number;
  downloads: number;
  faultsFired: Record<FaultName, number>;
  /** The API budget: peak use any answer reported, expensive queries received, queries refused for the budget. */
  budget: BudgetStats;
  /** Requests refused by the per-second and per-minute limits (not by the rateLimit fault), in total and by endpoint. */
  rateLimited: RateLimitedStats;
}

/** The API budget at runtime. */
export interface EmulatorBudget {
  /** From now on the app's own users spend this fraction (0–1) of the limit in every sliding minute. */
  setOwnUsersShare(share: number): void;
  /** The sliding minute's use now, as the next answer would report it before its own cost. */
  usage(): BudgetUsage;
}

export interface Emulator {
  /** API base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Base URL of the download server. */
  downloadUrl: string;
  apiKey: string;
  apiSecret: string;
  faults: Faults;
  data: DataSet;
  budget: EmulatorBudget;
  stats(): EmulatorStats;
  /** API requests received (the latest 10,000), with headers and parsed bodies. */
  requests(): ApiRequestRecord[];
  /** Download requests received (the latest 10,000), with their headers (to prove no credentials went there). */
  downloadRequests(): DownloadRecord[];
  close(): Promise<void>;
}

function positiveInteger(name: string, value: number, min = 0): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`emulator: ${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function instantOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const micros = parseMicros(value);
  if (micros === undefined) throw new Error(`emulator: ${name} must be an RFC3339 date-time, got "${value}"`);
  return micros;
}

function importedChannels(options: ImportedChannelsOptions, usersCount: number, firstType: string): ImportedChannels {
  const createdAt = instantOption('importedChannels.createdAt', options.createdAt) ?? BASE;
  const memberPool = positiveInteger('importedChannels.memberPool', options.memberPool ?? usersCount, 3);
  if (memberPool > usersCount) throw new Error(`emulator: importedChannels.memberPool must be at most usersCount (${usersCount}), got ${memberPool}`);
  return {
    withMessage: positiveInteger('importedChannels.withMessage', options.withMessage),
    withoutMessage: positiveInteger('importedChannels.withoutMessage', options.withoutMessage),
    createdAt,
    updatedAt: instantOption('importedChannels.updatedAt', options.updatedAt) ?? createdAt + 3_600_000_000,
    memberPool,
    type: options.type ?? firstType,
  };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const hostNow = options.now ?? (() => new Date());
  const clockOffsetMs = options.clockOffsetMs ?? 0;
  if (!Number.isFinite(clockOffsetMs)) throw new Error(`emulator: clockOffsetMs must be a finite number, got ${clockOffsetMs}`);
  const now = () => new Date(hostNow().getTime() + clockOffsetMs);
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const apiSecret = options.apiSecret ?? DEFAULT_API_SECRET;
  const channelTypes = options.channelTypes ?? ['messaging', 'livestream', 'team'];
  if (channelTypes.length === 0) throw new Error('emulator: channelTypes must not be empty');
  const messagesPerChannel = positiveInteger('messagesPerChannel', options.messagesPerChannel ?? 100);
  if (messagesPerChannel > SPAN / 10) throw new Error(`emulator: messagesPerChannel must be at most ${SPAN / 10}`);
  const seed = positiveInteger('seed', options.seed ?? 42);
  const usersCount = positiveInteger('usersCount', options.usersCount ?? 25, 2);
  const data = new DataSet({
    seed,
    channels: positiveInteger('channels', options.channels ?? 10),
    messagesPerChannel,
    usersCount,
    userIdStyle: options.userIdStyle ?? 'plain',
    importedChannels: options.importedChannels && importedChannels(options.importedChannels, usersCount, channelTypes[0] as string),
    lonelyUsers: positiveInteger('lonelyUsers', options.lonelyUsers ?? DEFAULT_LONELY_USERS),
    channelTypes,
    repliesMoveLastMessageAt: options.repliesMoveLastMessageAt ?? true,
    channelsCreatedAt: instantOption('channelsCreatedAt', options.channelsCreatedAt),
    now,
  });
  const faults = new Faults(data);
  const budget = new Budget(now, options.budget);
  const rateLimits = new RateLimits(now, options.rateLimits);
  const dir = await mkdtemp(join(tmpdir(), 'stream-emulator-'));
  const downloads = new DownloadServer({ port: options.downloadPort ?? 0, bucket: BUCKET, urlTtlMs: options.urlTtlMs ?? 86_400_000, faults, now });
  const tasks = new Tasks(now, downloads, dir, apiKey, BUCKET);
  const api = new ApiServer({
    app: { apiKey, apiSecret },
    data,
    tasks,
    faults,
    now,
    turns: new QueryTurns(seed, options.shortPages ?? true),
    onRequest: options.onRequest,
    budget,
    rateLimits,
    settings: {
      lineFormat: options.lineFormat ?? 'wrapped',
      reactionLines: options.reactionLines ?? true,
      gzip: options.gzip ?? false,
      taskLatencyMs: positiveInteger('taskLatencyMs', options.taskLatencyMs ?? 200),
      maxChannelsPerExport: positiveInteger('maxChannelsPerExport', options.maxChannelsPerExport ?? 100, 1),
      customData: options.customData ?? 'flat',
    },
  });
  try {
    const downloadUrl = await downloads.start();
    const url = await api.start(options.port ?? 0);
    return {
      url,
      downloadUrl,
      apiKey,
      apiSecret,
      faults,
      data,
      budget: { setOwnUsersShare: (share) => budget.setOwnUsersShare(share), usage: () => budget.usage() },
      stats: () => ({
        ...api.counters,
        downloads: downloads.requestCount,
        faultsFired: { ...faults.fired },
        budget: { ...budget.stats },
        rateLimited: structuredClone(rateLimits.rateLimited),
      }),
      requests: () => [...api.records],
      downloadRequests: () => [...downloads.records],
      close: async () => {
        await Promise.all([api.close(), downloads.close()]);
        await tasks.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all([api.close(), downloads.close()]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
