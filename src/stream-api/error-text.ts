const SNIPPET_LENGTH = 300;

/** A thrown value in one line, with the system or undici error code when it has one (ECONNRESET, UND_ERR_SOCKET…). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

/** The start of a response body on one line, to quote in an error (HTML and XML error pages included). */
export function bodySnippet(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, SNIPPET_LENGTH);
}

/** A duration in a message: "1.5 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
