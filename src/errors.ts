/** Airbyte's `failure_type`: who can fix it, and whether a retry may help. */
export type FailureType = 'config_error' | 'transient_error' | 'system_error';

/** What was going on when an error happened; carried into the TRACE's internal message. */
export interface ErrorContext {
  stream?: string;
  cid?: string;
  cids?: string[];
  taskId?: string;
  endpoint?: string;
  status?: number;
  code?: number;
  [key: string]: unknown;
}

export interface ConnectorErrorOptions {
  cause?: unknown;
  context?: ErrorContext;
}

/** The base of every error the connector raises on purpose. */
export class ConnectorError extends Error {
  readonly failureType: FailureType;
  readonly context: ErrorContext;

  constructor(message: string, failureType: FailureType, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.failureType = failureType;
    this.context = options.context ?? {};
  }
}

/** The user must change the config, catalog, state or credentials; Airbyte does not retry. */
export class ConfigError extends ConnectorError {
  constructor(message: string, options?: ConnectorErrorOptions) {
    super(message, 'config_error', options);
  }
}

/** Worth retrying later: rate limits, 5xx, network faults, slow tasks. */
export class TransientError extends ConnectorError {
  constructor(message: string, options?: ConnectorErrorOptions) {
    super(message, 'transient_error', options);
  }
}

/** A bug, or a reply from Stream that the connector cannot make sense of. */
export class SystemError extends ConnectorError {
  constructor(message: string, options?: ConnectorErrorOptions) {
    super(message, 'system_error', options);
  }
}

/** Stream does not know a channel the request named (deleted, or a typo in channel_ids). */
export class ChannelNotFoundError extends ConfigError {}

/** Stream refused an export request for holding more channels than it accepts at once. */
export class BatchTooLargeError extends SystemError {}

/** Stream refused an export request for the export tasks already in flight (it documents no such limit). */
export class TooManyTasksError extends TransientError {}

/** The one place where any thrown value becomes a failure type. */
export function failureTypeOf(error: unknown): FailureType {
  return error instanceof ConnectorError ? error.failureType : 'system_error';
}
