import { SignJWT } from 'jose';
import { ConfigError } from '../errors.js';
import { CONNECTOR_VERSION } from '../version.js';

export const X_STREAM_CLIENT = `source-stream-chat-v${CONNECTOR_VERSION}`;

/** The server token: HS256 over exactly {"server": true}, no iat/exp, so one token serves the whole run. */
export async function createServerToken(apiSecret: string): Promise<string> {
  try {
    return await new SignJWT({ server: true }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(apiSecret));
  } catch (error) {
    throw new ConfigError('api_secret cannot sign a token: check api_secret', { cause: error });
  }
}

/** The headers of every API request; never of a download, whose host is not Stream's. */
export function apiHeaders(token: string, hasBody: boolean): Record<string, string> {
  return {
    authorization: token,
    'stream-auth-type': 'jwt',
    'x-stream-client': X_STREAM_CLIENT,
    accept: 'application/json',
    ...(hasBody ? { 'content-type': 'application/json' } : {}),
  };
}
