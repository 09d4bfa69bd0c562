import { z } from 'zod';
import type { ConnectorError, ErrorContext } from '../errors.js';
import { bodySnippet } from './error-text.js';
import type { Decision, Rule } from './retry-decision.js';
import { decide, errorOf } from './retry-decision.js';

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

interface Refusal {
  where: string;
  quoted: string;
  code: number | undefined;
  status: number;
  message: string;
  cids: string[] | undefined;
}

// The words of each rule's error; its class comes from the table's decision.
const WORDS_OF_RULE: Partial<Record<Rule, (refusal: Refusal) => string>> = {
  credentials: ({ where, quoted, code, status }) => `Stream rejected the credentials on ${where}: ${credentialToCheck(code, status)}. Stream said ${quoted}`,
  'channel-not-found': ({ quoted, message, cids }) => `Stream cannot find channel ${missingChannels(message, cids)}: check channel_ids. Stream said ${quoted}`,
  'batch-too-large': ({ where, quoted }) => `Stream refused ${where} for its number of channels. Stream said ${quoted}`,
};

function wordsOf(decision: Decision, refusal: Refusal): string {
  const words = WORDS_OF_RULE[decision.rule];
  if (words !== undefined) return words(refusal);
  if (decision.failureType === 'transient_error') return `Stream could not answer ${refusal.where} for now. Stream said ${refusal.quoted}`;
  return `Stream refused ${refusal.where}. Stream said ${refusal.quoted}`;
}

/** The connector error for a non-2xx answer of the Stream API, of the class the retry table decides. */
export function errorFromResponse({ endpoint, status, bodyText, context }: FailedResponse): ConnectorError {
  const body = parseErrorBody(bodyText);
  const code = body?.code;
  const options = {
    context: { ...context, endpoint, status, ...(code === undefined ? {} : { code }) },
    cause: body ?? (bodyText === '' ? undefined : bodySnippet(bodyText)),
  };
  const where = `${endpoint} (HTTP ${status}${code === undefined ? '' : `, code ${code}`})`;
  const refusal = { where, quoted: whatStreamSaid(body, bodyText), code, status, message: body?.message ?? '', cids: context?.cids };
  const decision = decide({ request: 'api', kind: 'answer', status, code, message: body?.message });
  return errorOf(decision, wordsOf(decision, refusal), options);
}
