import { formatCount } from './console-report.js';
import type { LocalSyncOutcome } from './local-sync.js';

const HEADERS = ['table', 'records', 'rows', 'inserted', 'updated', 'deleted'] as const;

/**
 * The summary `sync` prints on stdout: per table the records read, its rows after the sync, and how many
 * were inserted, updated (rows that existed before the sync and were replaced by a newer record) and
 * deleted (rows Stream no longer has, as the sync proved);
 * then what else changed in the file.
 */
export function summaryText(path: string, outcome: LocalSyncOutcome, seconds: number, fullRefresh: boolean): string {
  const mode = fullRefresh ? 'full refresh' : 'incremental';
  const rows = outcome.tables.map((table) => [table.name, ...[table.records, table.rows, table.inserted, table.updated, table.deleted].map(formatCount)]);
  const widths = HEADERS.map((header, index) => Math.max(header.length, ...rows.map((row) => row[index]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ')}`;
  const notes: string[] = [];
  if (outcome.created.length > 0) notes.push(`tables created: ${outcome.created.join(', ')}`);
  if (outcome.added.length > 0)
    notes.push(`columns added for new schema fields (filled from _data): ${outcome.added.map((added) => `${added.table}.${added.column}`).join(', ')}`);
  const replaced = outcome.tables.filter((table) => table.replaced > 0);
  if (replaced.length > 0)
    notes.push(`replaced: ${replaced.map((table) => `${formatCount(table.replaced)} ${table.name} row(s)`).join(', ')} deleted before loading`);
  const skipped = outcome.tables.filter((table) => table.skipped > 0);
  if (skipped.length > 0)
    notes.push(`skipped, without a primary key: ${skipped.map((table) => `${formatCount(table.skipped)} ${table.name} record(s)`).join(', ')}`);
  return [
    `Synced ${outcome.tables.length} stream(s) into ${path} in ${seconds.toFixed(1)} s (${mode})`,
    line(HEADERS),
    ...rows.map(line),
    ...notes.map((note) => `  ${note}`),
    '',
  ].join('\n');
}
