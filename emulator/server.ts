import { createServer, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { errorBody, formatDuration, inputError, notFoundError, StreamApiError } from './api-error.js';
import { authenticate, type AppCredentials } from './auth.js';
import { queryCost, type Budget, type BudgetUsage, type QueryCost } from './budget.js';
import { carryCustom, type CustomData } from './custom-data.js';
import type { ChannelWindow, DataSet, ExportEntity } from './data-set.js';
import { goJson, jsonLinesFile, v1File, withLastLineCut, type LineFormat } from './export-file.js';
import type { Faults } from './faults.js';
import { listen } from './listen.js';
import { queryChannels } from './query-channels.js';
import type { QueryTurns } from './query-turns.js';
import { queryUsers } from './query-users.js';
import { setRateLimitHeaders, type RateLimits } from './rate-limits.js';
import type { Tasks } from './tasks.js';
import { parseMicros } from './time.js';

// The API port: Stream's routes, auth, error bodies and headers (stream-export-api.md §11).

export interface ApiSettings {
  lineFormat: LineFormat;
  reactionLines: boolean;
  gzip: boolean;
  taskLatencyMs: number;
  maxChannelsPerExport: number;
  /** Where every entity the emulator sends carries its custom data. */
  customData: CustomData;
}

export interface ApiCounters {
  requests: number;
  exportsCreated: number;
  userExportsCreated: number;
  tasksPolled: number;
  /** Requests to POST /channels (QueryChannels), answered or not. */
  queryChannels: number;
  /** Requests to GET /users (QueryUsers), answered or not. */
  queryUsers: number;
}

/** What a query-channels request cost the API budget (stream-export-api.md §8.4). */
export interface RequestCost extends QueryCost {
  /** Database time the query costs by the rules: the budget's cheapMs or expensiveMs. */
  ms: number;
  /** Whether it was charged: false when the budget refused it (429) or it was refused as bad input. */
  charged: boolean;
}

export interface ApiRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, for requests that have one. */
  body?: unknown;
  endpoint: string;
  status: number;
  at: Date;
  /** Query channels only, once its body is read: its cost to the API budget and why. */
  cost?: RequestCost;
}

export interface ApiServerOptions {
  app: AppCredentials;
  data: DataSet;
  tasks: Tasks;
  faults: Faults;
  now: () => Date;
  /** Per request of query channels and query users: the order of ties and short pages. */
  turns: QueryTurns;
  settings: ApiSettings;
  rateLimits: RateLimits;
  budget: Budget;
  onRequest?: (record: ApiRequestRecord) => void;
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  endpoint: string;
  /** Export endpoints answer user tokens with 403, code 17. */
  serverOnly: boolean;
  handle: (request: { params: string[]; body: unknown; query: URLSearchParams; res: ServerResponse; record: ApiRequestRecord }) => Reply;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_RECORDS = 10_000;

const channelItem = z.object({
  type: z.string().optional(),
  id: z.string().optional(),
  cid: z.string().optional(),
  messages_since: z.string().optional(),
  messages_until: z.string().optional(),
});

const exportChannelsBody = z.object({
  channels: z.array(channelItem).min(1),
  version: z.enum(['v1', 'v2']).optional(),
  format: z.literal('json').optional(),
  include_truncated_messages: z.boolean().optional(),
  include_soft_deleted_channels: z.boolean().optional(),
  clear_deleted_message_text: z.boolean().optional(),
  export_users: z.boolean().optional(),
});

const exportUsersBody = z.object({ user_ids: z.array(z.string()).min(1).max(25) });

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw inputError(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
}

function instant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const micros = parseMicros(value);
  if (micros === undefined) throw inputError(`${field} must be an RFC3339 date-time, got "${value}"`);
  return micros;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new StreamApiError(413, 22, 'request body is too large');
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw inputError('request body is not valid JSON');
  }
}

export class ApiServer {
  private readonly server: Server;
  private readonly routes: Route[];
  readonly counters: ApiCounters = { requests: 0, exportsCreated: 0, userExportsCreated: 0, tasksPolled: 0, queryChannels: 0, queryUsers: 0 };
  readonly records: ApiRequestRecord[] = [];

  constructor(private readonly options: ApiServerOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
    const task: Route['handle'] = ({ params }) => this.taskStatus(params[0] as string);
    this.routes = [
      { method: 'POST', pattern: /^\/export_channels$/, endpoint: 'ExportChannels', serverOnly: true, handle: ({ body }) => this.exportChannels(body) },
      { method: 'GET', pattern: /^\/export_channels\/([^/]+)$/, endpoint: 'GetExportChannelsStatus', serverOnly: true, handle: task },
      { method: 'GET', pattern: /^\/tasks\/([^/]+)$/, endpoint: 'GetTask', serverOnly: true, handle: task },
      { method: 'POST', pattern: /^\/export\/users$/, endpoint: 'ExportUsers', serverOnly: true, handle: ({ body }) => this.exportUsers(body) },
      {
        method: 'GET',
        pattern: /^\/users\/([^/]+)\/export$/,
        endpoint: 'ExportUser',
        serverOnly: true,
        handle: ({ params }) => this.exportUser(params[0] as string),
      },
      {
        method: 'POST',
        pattern: /^\/channels$/,
        endpoint: 'QueryChannels',
        serverOnly: false,
        handle: ({ body, res, record }) => this.queryChannels(body, res, record),
      },
      {
        method: 'GET',
        pattern: /^\/rate_limits$/,
        endpoint: 'GetRateLimits',
        serverOnly: false,
        handle: ({ query }) => ({ status: 200, body: this.rateLimitsReport(query) }),
      },
      {
        method: 'GET',
        pattern: /^\/users$/,
        endpoint: 'QueryUsers',
        serverOnly: false,
        handle: ({ query }) => ({
          status: 200,
          body: queryUsers(this.options.data, query.get('payload'), this.options.turns.next('QueryUsers'), this.options.settings.customData),
        }),
      },
    ];
  }

  async start(port: number): Promise<string> {
    return listen(this.server, port);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    let params: string[] = [];
    const route = this.routes.find((candidate) => {
      const match = candidate.method === req.method ? candidate.pattern.exec(url.pathname) : null;
      if (match) params = match.slice(1).map((param) => decodeURIComponent(param));
      return match !== null;
    });
    const endpoint = route?.endpoint ?? 'Unknown';
    const record: ApiRequestRecord = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      endpoint,
      status: 0,
      at: this.options.now(),
    };
    this.counters.requests++;
    if (endpoint === 'QueryChannels') this.counters.queryChannels++;
    if (endpoint === 'QueryUsers') this.counters.queryUsers++;
    this.records.push(record);
    if (this.records.length > MAX_RECORDS) this.records.shift();
    res.on('finish', () => {
      record.status = res.statusCode;
      this.options.onRequest?.(record);
    });
    // Stream's clock, not the host's: a client reads it here to plan its windows (§9 "Whose clock").
    res.setHeader('Date', this.options.now().toUTCString());
    const limited = this.options.rateLimits.consume(endpoint);
    setRateLimitHeaders(res, limited.info);
    if (limited.refusedBy) {
      res.setHeader('Retry-After', String(limited.retryAfterSeconds));
      this.sendJson(res, 429, errorBody(endpoint, tooManyRequests(), formatDuration(started)), started);
      return;
    }
    try {
      if (this.injectRateLimit(endpoint, res)) return;
      // Every query-channels answer but a rate limit's carries the budget: how a client tells the two 429s apart.
      if (endpoint === 'QueryChannels') setBudgetHeaders(res, this.options.budget.reported());
      if (this.injectServerError(endpoint, res)) return;
      if (!route) throw notFoundError(`${req.method} ${url.pathname} is not a Stream endpoint the emulator knows`);
      const principal = authenticate(url.searchParams.get('api_key'), req.headers, this.options.app, this.options.now().getTime() / 1000);
      if (route.serverOnly && principal.kind !== 'server') {
        throw new StreamApiError(403, 17, `${endpoint} is only allowed with server-side auth`);
      }
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      record.body = body;
      const reply = route.handle({ params, body, query: url.searchParams, res, record });
      this.sendJson(res, reply.status, reply.body, started);
    } catch (error) {
      const apiError = error instanceof StreamApiError ? error : new StreamApiError(500, -1, `internal error: ${String(error)}`);
      this.sendJson(res, apiError.status, errorBody(endpoint, apiError, formatDuration(started)), started);
    }
  }

  private sendJson(res: ServerResponse, status: number, body: Record<string, unknown>, started: bigint): void {
    const text = goJson({ ...body, duration: formatDuration(started) });
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private sendText(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** Answers the request with an armed rateLimit fault (before auth, as Stream's edge would); true if it did. */
  private injectRateLimit(endpoint: string, res: ServerResponse): boolean {
    const { faults } = this.options;
    const started = process.hrtime.bigint();
    const rateLimit = faults.takeRateLimit(endpoint);
    if (rateLimit) {
      const reset = Math.floor(this.options.now().getTime() / 1000) + (rateLimit.resetInSeconds ?? 1);
      setRateLimitHeaders(res, { limit: this.options.rateLimits.limitOf(endpoint), remaining: 0, reset });
      if (rateLimit.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(rateLimit.retryAfterSeconds));
      if (rateLimit.body === 'text') {
        this.sendText(res, 429, 'Too Many Requests');
      } else {
        this.sendJson(res, 429, errorBody(endpoint, tooManyRequests(), formatDuration(started)), started);
      }
      return true;
    }
    return false;
  }

  /** Answers the request with an armed serverErrors fault (before auth); true if it did. */
  private injectServerError(endpoint: string, res: ServerResponse): boolean {
    const { faults } = this.options;
    const started = process.hrtime.bigint();
    const serverError = faults.takeServerError(endpoint);
    if (!serverError) return false;
    const status = serverError.status ?? 500;
    if (status === 500) {
      this.sendJson(res, 500, errorBody(endpoint, new StreamApiError(500, -1, 'internal server error'), formatDuration(started)), started);
    } else {
      this.sendText(res, status, `${status} ${STATUS_CODES[status] ?? 'Server Error'}`);
    }
    return true;
  }

  /**
   * Charged to the API budget only when answered: a query the budget refuses (429) or Stream refuses as
   * bad input (400) costs nothing. The answer reflects the data before any channel change armed to follow
   * this request.
   */
  private queryChannels(body: unknown, res: ServerResponse, record: ApiRequestRecord): Reply {
    const { budget, data, faults, turns } = this.options;
    const judged = queryCost(body);
    const cost: RequestCost = { ...judged, ms: budget.costOf(judged), charged: false };
    record.cost = cost;
    if (!judged.cheap) budget.countExpensive();
    const admission = budget.admit(cost.ms);
    setBudgetHeaders(res, admission.usage);
    if (!admission.admitted) {
      res.setHeader('Retry-After', String(admission.retryAfterSeconds));
      const { usedMs, limitMs } = admission.usage;
      throw new StreamApiError(429, 9, `API budget exceeded: ${usedMs} ms of ${limitMs} ms used in the last minute, this query costs ${cost.ms} ms`);
    }
    try {
      const answer = queryChannels(data, body, turns.next('QueryChannels'), this.options.settings.customData);
      setBudgetHeaders(res, budget.charge(cost.ms));
      cost.charged = true;
      return { status: 201, body: answer };
    } finally {
      faults.queryChannelsAnswered();
    }
  }

  private exportChannels(body: unknown): Reply {
    const request = parseBody(exportChannelsBody, body);
    const { data, faults, settings, tasks } = this.options;
    const max = settings.maxChannelsPerExport;
    if (request.channels.length > max) throw inputError(`channels: at most ${max} channels can be exported per request, got ${request.channels.length}`);
    const windows: ChannelWindow[] = request.channels.map((item, i) => {
      const cid = item.cid ?? (item.type !== undefined && item.id !== undefined ? `${item.type}:${item.id}` : undefined);
      if (cid === undefined) throw inputError(`channels[${i}]: either cid or type and id are required`);
      if (!data.channelModel(cid)) throw inputError(`Can't find channel with cid "${cid}"`);
      const since = instant(item.messages_since, `channels[${i}].messages_since`);
      // Without an end, the export ends at the emulator's now (its clock, not the host's).
      const until = instant(item.messages_until, `channels[${i}].messages_until`) ?? data.clockMicros();
      // Nothing says Stream accepts an empty window ("after" since, "before" until): refuse it, as it may.
      if (since !== undefined && since >= until) throw inputError(`channels[${i}]: messages_since must be before messages_until`);
      return { cid, since, until };
    });
    const empty = faults.takeEmptyExport();
    const entities = this.carried(
      data.snapshot().exportEntities({
        channels: faults.takeDroppedChannel() ? windows.slice(1) : windows,
        includeTruncated: request.include_truncated_messages,
        includeSoftDeleted: request.include_soft_deleted_channels,
        clearDeletedText: request.clear_deleted_message_text,
      }),
    );
    const v2 = request.version === 'v2';
    const pieces = empty ? [] : v2 ? jsonLinesFile(settings.reactionLines ? entities : withoutReactions(entities), settings.lineFormat) : v1File(entities);
    const taskId = tasks.create({
      kind: 'channels',
      pieces: faults.takeTruncatedLastLine() ? withLastLineCut(pieces) : pieces,
      fileName: `channels.${v2 ? 'jsonl' : 'json'}${settings.gzip ? '.gz' : ''}`,
      gzip: settings.gzip,
      latencyMs: settings.taskLatencyMs + faults.taskLatencyExtraMs,
      fail: faults.takeTaskFailure(),
      stuckStatus: faults.takeUnknownTaskStatus(),
    });
    this.counters.exportsCreated++;
    return { status: 201, body: { task_id: taskId } };
  }

  private exportUsers(body: unknown): Reply {
    const request = parseBody(exportUsersBody, body);
    const { data, faults, settings, tasks } = this.options;
    for (const id of request.user_ids) if (!data.hasUser(id)) throw inputError(`Can't find user with id "${id}"`);
    const taskId = tasks.create({
      kind: 'users',
      pieces: jsonLinesFile(this.carried(data.snapshot().userExportEntities(request.user_ids)), settings.lineFormat),
      fileName: 'users.jsonl',
      gzip: false,
      latencyMs: settings.taskLatencyMs + faults.taskLatencyExtraMs,
      fail: faults.takeTaskFailure(),
      stuckStatus: faults.takeUnknownTaskStatus(),
    });
    this.counters.userExportsCreated++;
    return { status: 201, body: { task_id: taskId } };
  }

  private exportUser(userId: string): Reply {
    const { data } = this.options;
    if (!data.hasUser(userId)) throw notFoundError(`Can't find user with id "${userId}"`);
    const body: { user?: unknown; messages: unknown[]; reactions: unknown[] } = { messages: [], reactions: [] };
    for (const entity of this.carried(data.userExportEntities([userId]))) {
      if (entity.type === 'user') body.user = entity.data;
      else (entity.type === 'message' ? body.messages : body.reactions).push(entity.data);
      if (body.messages.length + body.reactions.length > 10_000) throw inputError(`user "${userId}" has more than 10000 messages or reactions`);
    }
    return { status: 200, body: { user: body.user, messages: body.messages, reactions: body.reactions } };
  }

  /** The entities with their custom data where the settings say; the data set builds them flat already. */
  private carried(entities: Iterable<ExportEntity>): Iterable<ExportEntity> {
    const shape = this.options.settings.customData;
    return shape === 'flat' ? entities : withCustomData(entities, shape);
  }

  /** GET /rate_limits: the server side's windows; the emulator counts no client platform, so those are empty. */
  private rateLimitsReport(query: URLSearchParams): Record<string, unknown> {
    const wanted = query.get('endpoints');
    const endpoints = wanted
      ? wanted
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== '')
      : this.options.rateLimits.endpoints();
    const serverSide = Object.fromEntries(endpoints.map((endpoint) => [endpoint, this.options.rateLimits.peek(endpoint)]));
    const platforms: Record<string, Record<string, unknown>> = { server_side: serverSide, android: {}, ios: {}, web: {} };
    const selected = Object.keys(platforms).filter((platform) => query.get(platform) === 'true');
    return selected.length === 0 ? platforms : Object.fromEntries(selected.map((platform) => [platform, platforms[platform]]));
  }

  private taskStatus(id: string): Reply {
    this.counters.tasksPolled++;
    const view = this.options.tasks.view(id);
    if (!view) throw notFoundError(`Can't find task with id "${id}"`);
    return { status: 200, body: { ...view } };
  }
}

function tooManyRequests(): StreamApiError {
  return new StreamApiError(429, 9, 'Too many requests, check response headers for more info');
}

function setBudgetHeaders(res: ServerResponse, usage: BudgetUsage): void {
  res.setHeader('X-Budget-Used-Ms', String(usage.usedMs));
  res.setHeader('X-Budget-Limit-Ms', String(usage.limitMs));
  res.setHeader('X-Budget-Remaining-Ms', String(usage.remainingMs));
}

function* withCustomData(entities: Iterable<ExportEntity>, shape: CustomData): Generator<ExportEntity> {
  for (const entity of entities) yield { ...entity, data: carryCustom(entity.type, entity.data, shape) };
}

/** A v2 file whose reactions are only inside messages (latest_reactions): a shape Stream might use. */
function* withoutReactions(entities: Iterable<ExportEntity>): Generator<ExportEntity> {
  for (const entity of entities) if (entity.type !== 'reaction') yield entity;
}
