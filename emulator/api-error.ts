// Stream's error body (stream-export-api.md §8.1) and its codes (§8.2).

export const MORE_INFO = 'https://getstream.io/chat/docs/api_errors_response';

/** Thrown by route handlers; the server turns it into Stream's error body for the endpoint. */
export class StreamApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly detail: string,
    readonly exceptionFields?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'StreamApiError';
  }
}

export function inputError(detail: string, exceptionFields?: Record<string, string>): StreamApiError {
  return new StreamApiError(400, 4, detail, exceptionFields);
}

export function notFoundError(detail: string): StreamApiError {
  return new StreamApiError(404, 16, detail);
}

/** Stream's `duration`: milliseconds with two decimals, e.g. "1.87ms". */
export function formatDuration(startedNs: bigint): string {
  return `${(Number(process.hrtime.bigint() - startedNs) / 1e6).toFixed(2)}ms`;
}

export function errorBody(endpoint: string, error: StreamApiError, duration: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    code: error.code,
    // Stream does not escape quotes inside the detail: clients match on `Can't find task with id "<id>"`.
    message: `${endpoint} failed with error: "${error.detail}"`,
  };
  if (error.exceptionFields) body.exception_fields = error.exceptionFields;
  return { ...body, StatusCode: error.status, duration, more_info: MORE_INFO, details: [] };
}
