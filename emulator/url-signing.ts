import { createHmac, timingSafeEqual } from 'node:crypto';

// Presigned download URLs shaped like S3's (X-Amz-Date + X-Amz-Expires + X-Amz-Signature). As in S3 the
// lifetime is whole seconds from X-Amz-Date, which is itself truncated to the second.

export type SignatureCheck = 'valid' | 'expired' | 'invalid';

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseAmzDate(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [y = 0, mo = 1, d, h, mi, s] = match.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function signature(secret: Buffer, key: string, date: string, expires: string): string {
  return createHmac('sha256', secret).update(`${key}\n${date}\n${expires}`).digest('hex');
}

/** Query string for `key`, valid for ttlMs (rounded up to a whole second) from now. */
export function signQuery(secret: Buffer, key: string, now: Date, ttlMs: number): string {
  const date = amzDate(now);
  const expires = String(Math.max(1, Math.ceil(ttlMs / 1000)));
  const query = new URLSearchParams({
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `EMULATOR/${date.slice(0, 8)}/us-east-1/s3/aws4_request`,
    'X-Amz-Date': date,
    'X-Amz-Expires': expires,
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': signature(secret, key, date, expires),
  });
  return query.toString();
}

export function checkSignature(secret: Buffer, key: string, query: URLSearchParams, now: Date): SignatureCheck {
  const date = query.get('X-Amz-Date') ?? '';
  const expires = query.get('X-Amz-Expires') ?? '';
  const given = Buffer.from(query.get('X-Amz-Signature') ?? '', 'hex');
  const expected = Buffer.from(signature(secret, key, date, expires), 'hex');
  const signedAt = parseAmzDate(date);
  if (signedAt === undefined || !/^\d+$/.test(expires) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'invalid';
  }
  return now.getTime() > signedAt + Number(expires) * 1000 ? 'expired' : 'valid';
}
