import { z } from 'zod';
import type { ConnectorError, ErrorContext } from '../errors.js';
import { BatchTooLargeError, ChannelNotFoundError, ConfigError, SystemError, TransientError } from '../errors.js';
import { bodySnippet } from './error-text.js';
import { decide } from './retry-decision.js';

const errorBodySchema = z.looseObject({
  code: z.number().optional(),
  message: z.string().optional(),
  StatusCode: z.number().optional(),
  more_info: z.string().optional(),
});

export type StreamErrorBody = z.infer<typeof errorBodySchema>;

/** Stream's JSON error body, or undefined when the body is not one (edge 429s and 5xx are plain text or HTML). */
export function parseErrorBody(text: string): StreamErrorBody | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const TOKEN_CODES = new Set([40, 41, 42, 43]);
// Stream's wording is not documented; both orders of "channels … at most/too many/maximum" are taken.
const TOO_MANY_CHANNELS = /channels?\b.*\b(at most|too many|maximum|max|limit|exceed)|\b(at most|too many|maximum|max|limit|exceed)\w*\b.*\bchannels?/i;

export interface FailedResponse {
  /** Stream's operation name, e.g. ExportChannels. */
  endpoint: string;
  status: number;
  bodyText: string;
  context?: ErrorContext;
}

function whatStreamSaid(body: StreamErrorBody | undefined, bodyText: string): string {
  const text = body?.message ?? bodySnippet(bodyText);
  return text === '' ? 'an empty body' : `"${text}"`;
}

function credentialToCheck(code: number | undefined, status: number): string {
  if (code === 2) return 'check api_key: Stream does not accept it for this app';
  if (code !== undefined && TOKEN_CODES.has(code)) {
    return 'check api_secret: the token signed with it was rejected (it must be the secret of this api_key)';
  }
  if (code === 17 || status === 403) {
    return 'check that api_key and api_secret are the server-side credentials of the app and that it allows this';
  }
  return 'check api_key and api_secret';
}

function missingChannels(message: string, cids: string[] | undefined): string {
  const named = cids?.filter((cid) => message.includes(cid) || message.includes(`"${cid.slice(cid.indexOf(':') + 1)}"`));
  if (named !== undefined && named.length > 0) return named.join(', ');
  return cids?.join(', ') ?? 'of this request';
}

/** The connector error for a non-2xx answer of the Stream API. */
export function errorFromResponse({ endpoint, status, bodyText, context }: FailedResponse): ConnectorError {
  const body = parseErrorBody(bodyText);
  const code = body?.code;
  const said = whatStreamSaid(body, bodyText);
  const options = {
    context: { ...context, endpoint, status, ...(code === undefined ? {} : { code }) },
    cause: body ?? (bodyText === '' ? undefined : bodySnippet(bodyText)),
  };
  const where = `${endpoint} (HTTP ${status}${code === undefined ? '' : `, code ${code}`})`;
  switch (decide({ kind: 'answer', status, code, message: body?.message }).rule) {
    case 'credentials':
      return new ConfigError(`Stream rejected the credentials on ${where}: ${credentialToCheck(code, status)}. Stream said ${said}`, options);
    case 'rate-limited':
    case 'server-error':
      return new TransientError(`Stream could not answer ${where} for now. Stream said ${said}`, options);
    case 'channel-not-found':
      return new ChannelNotFoundError(
        `Stream cannot find channel ${missingChannels(body?.message ?? '', context?.cids)}: check channel_ids. Stream said ${said}`,
        options,
      );
    default:
      if (status === 400 && body?.message !== undefined && TOO_MANY_CHANNELS.test(body.message)) {
        return new BatchTooLargeError(`Stream refused ${where} for its number of channels. Stream said ${said}`, options);
      }
      return new SystemError(`Stream refused ${where}. Stream said ${said}`, options);
  }
}
