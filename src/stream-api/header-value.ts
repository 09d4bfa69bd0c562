/** A reply header as Node gives it: absent, one value, or an array when the header came more than once. */
export type HeaderValue = string | string[] | undefined;

/** A header's first non-empty value, trimmed; undefined when it has none. */
export function headerValue(value: HeaderValue): string | undefined {
  const first = Array.isArray(value) ? value.find((part) => part.trim() !== '') : value;
  const text = first?.trim();
  return text === '' ? undefined : text;
}
