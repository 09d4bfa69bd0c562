import { ConnectorError, failureTypeOf } from '../errors.js';
import type { ErrorTrace } from './message-types.js';

const MAX_CAUSES = 5;

/**
 * The TRACE ERROR payload for any thrown value: a message for humans (ours as written, anything
 * else flagged as unexpected), the error chain with its context in `internal_message`, and every
 * stack of the chain in `stack_trace`. Not masked: the writer masks secrets.
 */
export function errorTrace(error: unknown, stream?: string): ErrorTrace {
  const chain = causeChain(error);
  const stacks = chain.map((item) => (item instanceof Error ? (item.stack ?? summary(item)) : summary(item)));
  return {
    message: error instanceof ConnectorError ? error.message : `Unexpected error: ${summary(error)}`,
    internal_message: chain.map((item) => summary(item) + contextOf(item)).join(' <- caused by: '),
    stack_trace: stacks.join('\nCaused by: '),
    failure_type: failureTypeOf(error),
    ...(stream === undefined ? {} : { stream_descriptor: { name: stream } }),
  };
}

function causeChain(error: unknown): unknown[] {
  const chain = [error];
  let current = error;
  while (current instanceof Error && current.cause !== undefined && chain.length <= MAX_CAUSES) {
    current = current.cause;
    chain.push(current);
  }
  return chain;
}

function summary(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  return json(value);
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function contextOf(value: unknown): string {
  if (!(value instanceof ConnectorError) || Object.keys(value.context).length === 0) return '';
  return ` ${json(value.context)}`;
}
