import { SystemError } from '../errors.js';
import { ConsoleReport } from '../local/console-report.js';
import { loadDuckDB } from '../local/load-duckdb.js';
import type { LocalSyncOutcome } from '../local/local-sync.js';
import { summaryText } from '../local/summary.js';
import { parseArguments, type SyncCommand } from './arguments.js';
import { Interruption } from './interruption.js';
import { loadConfig } from './load-config.js';
import { streamApiClient } from './read.js';
import { USAGE_EXIT_CODE } from './run.js';

/**
 * `sync --config FILE --duckdb FILE [--streams a,b] [--full-refresh]`: the read path in-process into
 * a DuckDB file. For people: progress on stderr (live on a terminal), the summary on stdout, any
 * failure as one line on stderr. Exit codes as for the other commands: 0, 1, 2 (usage), 130/143.
 */
export async function sync(args: string[]): Promise<number> {
  const parsed = await parseArguments(args);
  if (parsed.kind === 'info') return 0;
  if (parsed.kind === 'usage-error') {
    process.stderr.write(`${parsed.message}\n\n${parsed.usage}\n`);
    return USAGE_EXIT_CODE;
  }
  const { command } = parsed;
  if (command.name !== 'sync') throw new SystemError(`sync() was handed the ${command.name} command`);
  const report = new ConsoleReport({ out: process.stderr, streams: command.streams });
  const interruption = new Interruption({ writer: report, exit: (code) => process.exit(code) }).start();
  const started = performance.now();
  try {
    const outcome = await Promise.race([syncInto(command, report, interruption.signal), interruption.deadline]);
    report.stop();
    if (outcome !== undefined && interruption.error === undefined) {
      process.stdout.write(summaryText(command.duckdb, outcome, (performance.now() - started) / 1000, command.fullRefresh));
      return 0;
    }
  } catch (error) {
    report.stop();
    if (interruption.error === undefined) {
      report.log('ERROR', error instanceof Error ? error.message : String(error));
      return 1;
    }
  } finally {
    interruption.stop();
  }
  report.log('ERROR', `${interruption.error?.message ?? 'The sync was interrupted'}; every batch committed before stays in ${command.duckdb}`);
  return interruption.exitCode ?? 1;
}

async function syncInto(command: SyncCommand, report: ConsoleReport, signal: AbortSignal): Promise<LocalSyncOutcome> {
  const duckdb = await loadDuckDB();
  const config = await loadConfig(command.config, report);
  const [{ localSync }, client] = await Promise.all([import('../local/local-sync.js'), streamApiClient(config, report, command.streams)]);
  report.start();
  try {
    return await localSync({ duckdb, path: command.duckdb, config, streams: command.streams, fullRefresh: command.fullRefresh, client, report, signal });
  } finally {
    await client.close();
  }
}
