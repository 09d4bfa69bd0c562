import type { Dispatcher } from 'undici';
import { headerValue } from './header-value.js';

/** Stream's clock as one answer told it: its `Date` header (whole seconds) and when it arrived by the host's clock. */
export interface StreamTime {
  /** Undefined when the answer had no readable `Date` header. */
  date: Date | undefined;
  receivedAt: Date;
}

export function streamTimeOf(headers: Dispatcher.ResponseData['headers'], receivedAt: Date): StreamTime {
  const text = headerValue(headers.date);
  const date = text === undefined ? undefined : new Date(text);
  return { date: date === undefined || Number.isNaN(date.getTime()) ? undefined : date, receivedAt };
}
