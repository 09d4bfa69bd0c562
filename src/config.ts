import { isRecord } from './utils/is-record.js';
import { isLoopback, withoutUserInfo } from './utils/url.js';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { normalizeDateTime } from './utils/timestamps.js';
import { describeIssues, describeValue, issueMessage } from './protocol/zod-issues.js';

export const DEFAULT_BASE_URL = 'https://chat.stream-io-api.com';
export const DOCUMENTATION_URL = 'https://getstream.io/chat/docs/node/exporting_channels/';
/** The platform only checks the major version; 0.2.0 is its default (protocol doc §2.1). */
export const PROTOCOL_VERSION = '0.2.0';

/**
 * What the spec (and so the platform) accepts: UTC RFC 3339, as the Airbyte UI's date-time picker
 * writes it, fractions allowed. Protocol doc §5 quotes a pattern with no zone at all, which no
 * value of `format: date-time` can match; a CAT warning is the lesser harm. parseConfig accepts
 * more (a bare date, offsets), so a config written for a laptop run keeps working.
 */
const START_DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$';
/** Ten years: a longer lookback or sweep interval is no window a person means. */
const MAX_HOURS = 87_600;
const CID_PATTERN = /^[^\s:]+:[^\s:]+$/;
const CHANNEL_TYPE_PATTERN = /^[^\s:]+$/;

const cid = z.string().regex(CID_PATTERN, {
  error: (issue) => `must be a cid of the form type:id, got ${describeValue(issue.input)}`,
});

const cidList = (meta: { title: string; description: string; order: number; examples: string[][] }) =>
  z
    .array(cid.meta({ pattern_descriptor: 'type:id' }))
    .default([])
    .meta(meta);

export const configSchema = z
  .object({
    api_key: z
      .string()
      .min(1)
      .meta({
        title: 'API Key',
        description: 'The API key of your Stream app (Stream dashboard → App → Chat Overview).',
        examples: ['mmhfdzb5evj2'],
        order: 0,
      }),
    api_secret: z.string().min(1).meta({
      title: 'API Secret',
      description: "The app's API secret. It signs the server token and is never printed.",
      airbyte_secret: true,
      order: 1,
    }),
    start_date: z
      .string()
      .refine((value) => normalizeDateTime(value) !== undefined, {
        message: 'must be a date-time such as 2024-01-01T00:00:00Z (RFC 3339), or a date such as 2024-01-01',
      })
      .optional()
      .meta({
        title: 'Start Date',
        description: 'The first sync exports messages created after this instant (UTC). Leave empty to export the whole history.',
        format: 'date-time',
        pattern: START_DATE_PATTERN,
        pattern_descriptor: 'YYYY-MM-DDTHH:mm:ssZ',
        examples: ['2024-01-01T00:00:00Z'],
        order: 2,
      }),
    channel_types: z
      .array(
        z.string().regex(CHANNEL_TYPE_PATTERN, {
          error: (issue) => `must be a channel type (no spaces or colons), got ${describeValue(issue.input)}`,
        }),
      )
      .default([])
      .meta({
        title: 'Channel Types',
        description: 'Export every channel of these types. Empty: every type. Ignored when Channel IDs is set.',
        examples: [['messaging', 'team']],
        order: 3,
      }),
    channel_ids: cidList({
      title: 'Channel IDs',
      description: 'Export exactly these channels, as cids (type:id). Overrides Channel Types.',
      examples: [['messaging:general', 'team:engineering']],
      order: 4,
    }),
    exclude_channel_ids: cidList({
      title: 'Excluded Channel IDs',
      description: 'Never export these channels (cids, type:id).',
      examples: [['messaging:sandbox']],
      order: 5,
    }),
    user_ids: z
      .array(z.string().min(1))
      .default([])
      .meta({
        title: 'User IDs',
        description: 'Deprecated and ignored: the users stream lists every user of the app through query users. Kept so that older configs still work.',
        examples: [['alice', 'bob']],
        order: 6,
      }),
    lookback_window_hours: z
      .int()
      .min(0)
      .max(MAX_HOURS)
      .default(0)
      .meta({
        title: 'Lookback Window (Hours)',
        description: 'Re-export this much history before each cursor, to catch edited messages and late reactions.',
        examples: [0, 24],
        order: 7,
      }),
    include_truncated_messages: z.boolean().default(false).meta({
      title: 'Include Truncated Messages',
      description: 'Also export messages removed by a channel truncation.',
      order: 8,
    }),
    include_soft_deleted_channels: z.boolean().default(false).meta({
      title: 'Include Soft-Deleted Channels',
      description: 'Also export channels that were soft-deleted.',
      order: 9,
    }),
    export_format: z.enum(['v2', 'v1']).default('v2').meta({
      title: 'Export Format',
      description: 'v2: one entity per line (recommended); v1: one JSON document, streamed all the same.',
      order: 10,
    }),
    base_url: z
      .string()
      .superRefine((value, context) => {
        const problem = baseUrlProblem(value);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
      })
      .default(DEFAULT_BASE_URL)
      .meta({
        title: 'Base URL',
        description: 'The Stream API host. Plain http is accepted only for loopback hosts (a local emulator).',
        format: 'uri',
        examples: [DEFAULT_BASE_URL],
        order: 11,
      }),
    channels_per_export: z.int().min(1).max(100).default(100).meta({
      title: 'Channels Per Export',
      description:
        "Channels per export request. Stream's API specification allows 100 (its guides say 25): a batch Stream refuses as too large is split and the smaller size kept for the rest of the sync.",
      order: 12,
    }),
    max_concurrent_exports: z.int().min(1).max(300).default(100).meta({
      title: 'Max Concurrent Exports',
      description:
        "The most export tasks in flight at once. A sync keeps as many as its pace and its tasks' latency need (fewer when tasks are quick); this bounds them, and so the memory they take. 100 keeps 60 exports a minute with tasks of over a minute; 300 with tasks of about 4 minutes.",
      order: 13,
    }),
    poll_interval_seconds: z.number().positive().default(5).meta({
      title: 'Poll Interval (Seconds)',
      description:
        "The shortest time between two polls of an export task. A task is polled first when this sync's earlier tasks took to complete, then every fifth of the time it has run (every half before any task completed; at least once a minute).",
      order: 14,
    }),
    export_timeout_minutes: z.number().positive().default(120).meta({
      title: 'Export Timeout (Minutes)',
      description: 'An export task not done by then fails the sync with a transient error.',
      order: 15,
    }),
    max_exports_per_minute: z.int().min(1).default(30).meta({
      title: 'Max Exports Per Minute',
      description:
        "Export requests created in any one minute. Stream's quota is 60 a minute for the whole app, shared with its other exports; the connector also slows down when Stream says the quota runs low.",
      order: 16,
    }),
    full_sweep_interval_hours: z
      .int()
      .min(0)
      .max(MAX_HOURS)
      .default(168)
      .meta({
        title: 'Full Sweep Interval (Hours)',
        description:
          'Incremental syncs export only the channels with activity since the last sync. This often, every selected channel is exported anyway (from the last sweep), to catch what the activity of a channel does not show (such as thread replies or membership changes). 0: every sync.',
        examples: [168, 24, 0],
        order: 17,
      }),
    settle_margin_seconds: z
      .int()
      .min(0)
      .max(86_400)
      .default(60)
      .meta({
        title: 'Settle Margin (Seconds)',
        description:
          "A sync exports messages up to Stream's clock (the Date of its answers) less this margin, leaving what Stream may still be writing to the next sync: more is safer, less is fresher. 0: up to Stream's now.",
        examples: [60, 0],
        order: 18,
      }),
    api_budget_share: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .meta({
        title: 'API Budget Share',
        description:
          "Query channels spends the app's API budget (database time a minute), which the app's own users spend on their channel lists: the connector keeps the app's use (X-Budget-Used-Ms) under this share of its limit, waiting between queries; when the app's own users alone hold it above, it goes on at one query a second.",
        examples: [0.5, 0.25],
        order: 19,
      }),
    query_users_share: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .meta({
        title: 'Query Users Share',
        description:
          "The share of query users' per-minute limit (1,000 by default, read from X-RateLimit-Limit) the connector uses; the rest stays with the app's backend.",
        examples: [0.5, 0.1],
        order: 20,
      }),
    mark_soft_deletions: z.boolean().default(false).meta({
      title: 'Mark Soft Deletions',
      description:
        "Give soft-deleted messages, channels and users an _ab_cdc_deleted_at field (their deleted_at), Airbyte's deletion marker: a destination in Incremental | Append + Deduped mode then removes their rows. Off: they arrive as ordinary rows with type deleted and deleted_at. The local sync ignores it. Hard deletions never reach the destination this way: only a full refresh removes them.",
      order: 21,
    }),
  })
  .meta({ title: 'Stream Chat Source Spec' });

/** The parsed config: snake_case keys as in DESIGN.md, defaults applied, start_date in UTC ISO form. */
export type Config = z.output<typeof configSchema>;

/**
 * Validates a config object and applies the defaults. Keys starting with `_` are ignored and
 * other unknown keys dropped (see unknownConfigKeys). Throws one ConfigError naming every problem.
 */
export function parseConfig(raw: unknown): Config {
  if (!isRecord(raw)) throw new ConfigError(`Invalid config: expected a JSON object, got ${describeValue(raw)}`);
  const result = configSchema.safeParse(withoutPlatformKeys(raw), { error: issueMessage });
  if (!result.success) throw new ConfigError(`Invalid config: ${describeIssues(result.error).join('; ')}`);
  const config = result.data;
  return {
    ...config,
    base_url: config.base_url.replace(/\/+$/, ''),
    ...(config.start_date === undefined ? {} : { start_date: normalizeDateTime(config.start_date) }),
  };
}

/** Keys the schema does not know, platform keys (`_…`) aside: worth a warning, not an error. */
export function unknownConfigKeys(raw: unknown): string[] {
  if (!isRecord(raw)) return [];
  return Object.keys(raw).filter((key) => !key.startsWith('_') && !(key in configSchema.shape));
}

/** The JSON schema of the config (spec.json's connectionSpecification), from the zod schema. */
export function connectionSpecification(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-7',
    // z.int() bounds itself to the safe integers; that is no limit a user should read in the form.
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    },
  });
}

/** The whole ConnectorSpecification that `spec` prints and spec.json holds. */
export function specification(): {
  documentationUrl: string;
  connectionSpecification: Record<string, unknown>;
  protocol_version: string;
} {
  return { documentationUrl: DOCUMENTATION_URL, connectionSpecification: connectionSpecification(), protocol_version: PROTOCOL_VERSION };
}

function baseUrlProblem(value: string): string | undefined {
  const shown = describeValue(withoutUserInfo(value));
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL such as ${DEFAULT_BASE_URL}, got ${shown}`;
  }
  if (url.username !== '' || url.password !== '')
    return `must not carry a user name or password (Stream authenticates with api_key and api_secret), got ${shown}`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return isLoopback(url.hostname) ? undefined : `must use https (plain http only for loopback hosts), got ${shown}`;
  }
  return `must be an https URL, got ${shown}`;
}

function withoutPlatformKeys(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith('_')));
}
