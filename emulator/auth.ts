import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { StreamApiError } from './api-error.js';

// Stream's server-side auth (stream-export-api.md §1.2, §1.3, §11.2): api_key query parameter,
// `stream-auth-type: jwt`, and an HS256 JWT in Authorization (raw, or after `Bearer `).

export type Principal = { kind: 'server' } | { kind: 'user'; userId: string };

export interface AppCredentials {
  apiKey: string;
  apiSecret: string;
}

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

function hs256(secret: string, signingInput: string): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

/** An HS256 token as the SDKs make it; the default payload is the server token `{"server":true}`. */
export function signToken(secret: string, payload: Record<string, unknown> = { server: true }): string {
  const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${hs256(secret, input).toString('base64url')}`;
}

function jwtError(code: number, detail: string): StreamApiError {
  return new StreamApiError(401, code, `JWTAuth error: ${detail}`);
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function checkTimes(payload: Record<string, unknown>, nowSeconds: number): void {
  const { exp, nbf, iat } = payload;
  if (typeof exp === 'number' && nowSeconds >= exp) throw jwtError(40, 'token is expired');
  if (typeof nbf === 'number' && nowSeconds < nbf) throw jwtError(41, 'token is not valid yet');
  if (typeof iat === 'number' && nowSeconds < iat) throw jwtError(42, 'token used before issue at (iat)');
}

/** Checks a request's credentials in Stream's order; throws Stream's error for the first failure. */
export function authenticate(apiKey: string | null, headers: IncomingHttpHeaders, app: AppCredentials, nowSeconds: number): Principal {
  if (!apiKey) throw new StreamApiError(401, 2, 'api_key not provided');
  if (apiKey !== app.apiKey) throw new StreamApiError(401, 2, 'api_key is invalid');
  if (String(headers['stream-auth-type'] ?? '').toLowerCase() !== 'jwt') {
    throw new StreamApiError(401, 5, 'stream-auth-type missing or invalid');
  }
  const authorization = headers.authorization;
  if (!authorization) throw new StreamApiError(401, 5, 'Authorization header is missing');
  const token = authorization.replace(/^Bearer\s+/i, '');
  const segments = token.split('.');
  if (segments.length !== 3) throw jwtError(5, 'token contains an invalid number of segments');
  const [headerSegment, payloadSegment, signatureSegment] = segments as [string, string, string];
  const header = decodeSegment(headerSegment);
  const payload = decodeSegment(payloadSegment);
  if (!header || !payload) throw jwtError(5, 'token is malformed');
  const expected = hs256(app.apiSecret, `${headerSegment}.${payloadSegment}`);
  const given = Buffer.from(signatureSegment, 'base64url');
  if (header.alg !== 'HS256' || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw jwtError(43, `signature is not valid. Make sure the token is created using the secret for API key "${app.apiKey}"`);
  }
  checkTimes(payload, nowSeconds);
  if (payload.server === true) return { kind: 'server' };
  if (typeof payload.user_id === 'string' && payload.user_id !== '') return { kind: 'user', userId: payload.user_id };
  throw jwtError(5, 'token has neither "server": true nor a user_id');
}
