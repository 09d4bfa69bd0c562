import yargs from 'yargs';
import { isStreamName, STREAM_NAMES, type StreamName } from '../records/definition.js';
import { CONNECTOR_NAME, CONNECTOR_VERSION } from '../version.js';

export type Command =
  { name: 'spec' } | { name: 'check' | 'discover'; config: string } | { name: 'read'; config: string; catalog: string; state?: string } | SyncCommand;

/** The local mode: the streams into a DuckDB file. */
export interface SyncCommand {
  name: 'sync';
  config: string;
  duckdb: string;
  streams: StreamName[];
  fullRefresh: boolean;
}

export type ParsedArguments =
  | { kind: 'command'; command: Command }
  /** --help or --version: yargs has printed it. */
  | { kind: 'info' }
  /** What went wrong, and the usage text to show next to it. */
  | { kind: 'usage-error'; message: string; usage: string };

const COMMANDS = ['spec', 'check', 'discover', 'read', 'sync'] as const;

const CONFIG = { type: 'string', demandOption: true, requiresArg: true, describe: 'Path to the config JSON file' } as const;

/** The command line (without node and the script) → the command to run. */
export async function parseArguments(args: string[]): Promise<ParsedArguments> {
  const parser = yargs(args)
    .scriptName(CONNECTOR_NAME)
    .usage(
      '$0 <command> [options]\n\nAn Airbyte source for Stream Chat: every message is one JSON line on stdout (sync: a local DuckDB file, a summary on stdout).',
    )
    .command('spec', 'Print the connector specification (one SPEC message)')
    .command('check', 'Validate the config and try the credentials (one CONNECTION_STATUS)', (y) => y.option('config', CONFIG))
    .command('discover', 'Print the streams this source offers (one CATALOG)', (y) => y.option('config', CONFIG))
    .command('read', 'Replicate the configured streams (RECORD, STATE, TRACE and LOG messages)', (y) =>
      y
        .option('config', CONFIG)
        .option('catalog', { ...CONFIG, describe: 'Path to the configured catalog JSON file' })
        .option('state', { type: 'string', requiresArg: true, describe: 'Path to the state JSON file (optional)' }),
    )
    .command('sync', 'Sync into a local DuckDB file, which also keeps the state (a summary for people on stdout)', (y) =>
      y
        .option('config', CONFIG)
        .option('duckdb', { ...CONFIG, describe: 'Path to the DuckDB database file (created on first use)' })
        .option('streams', { type: 'string', requiresArg: true, describe: `Comma-separated streams to sync (default: ${STREAM_NAMES.join(',')})` })
        .option('full-refresh', { type: 'boolean', default: false, describe: 'Read everything again and replace the tables' }),
    )
    .demandCommand(1, 1, `Missing command: one of ${COMMANDS.join(', ')}`, 'Only one command at a time')
    .strict()
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .version(CONNECTOR_VERSION)
    .help()
    .wrap(null)
    .exitProcess(false)
    .fail((message, error) => {
      throw new UsageError(message ?? error?.message ?? 'Invalid command line');
    });
  const [first] = args;
  if (first !== undefined && !first.startsWith('-') && !(COMMANDS as readonly string[]).includes(first)) {
    return { kind: 'usage-error', message: `Unknown command: ${first} (the commands are ${COMMANDS.join(', ')})`, usage: await parser.getHelp() };
  }
  try {
    const argv = await parser.parseAsync();
    if (argv.help === true || argv.version === true) return { kind: 'info' };
    return { kind: 'command', command: toCommand(argv) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { kind: 'usage-error', message: error.message, usage: await parser.getHelp() };
  }
}

class UsageError extends Error {}

function toCommand(argv: Record<string, unknown>): Command {
  const name: unknown = Array.isArray(argv._) ? argv._[0] : undefined;
  const text = (key: string): string => {
    const value = argv[key];
    if (typeof value !== 'string') throw new UsageError(`--${key} needs a value`);
    return value;
  };
  switch (name) {
    case 'spec':
      return { name };
    case 'check':
    case 'discover':
      return { name, config: text('config') };
    case 'read':
      return argv.state === undefined
        ? { name, config: text('config'), catalog: text('catalog') }
        : { name, config: text('config'), catalog: text('catalog'), state: text('state') };
    case 'sync':
      return { name, config: text('config'), duckdb: text('duckdb'), streams: streamsOf(argv.streams), fullRefresh: argv['full-refresh'] === true };
    default:
      throw new UsageError(`Unknown command: ${String(name)}`);
  }
}

/** `--streams a,b` → the streams; absent: all of them. */
function streamsOf(value: unknown): StreamName[] {
  if (value === undefined) return [...STREAM_NAMES];
  const names = (typeof value === 'string' ? value : '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !isStreamName(name));
  if (unknown.length > 0) throw new UsageError(`Unknown stream(s) in --streams: ${unknown.join(', ')} (the streams are ${STREAM_NAMES.join(', ')})`);
  if (names.length === 0) throw new UsageError(`--streams names no stream (the streams are ${STREAM_NAMES.join(', ')})`);
  return STREAM_NAMES.filter((name) => names.includes(name));
}
