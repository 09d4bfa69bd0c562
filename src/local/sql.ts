/** A SQL identifier, always quoted: stream fields such as `user` and `type` are keywords. */
export function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal. */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
