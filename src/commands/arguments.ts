import yargs from 'yargs';
import { CONNECTOR_NAME, CONNECTOR_VERSION } from '../version.js';

export type Command =
  | { name: 'spec' }
  | { name: 'check' | 'discover'; config: string }
  | { name: 'read'; config: string; catalog: string; state?: string };

export type ParsedArguments =
  | { kind: 'command'; command: Command }
  /** --help or --version: yargs has printed it. */
  | { kind: 'info' }
  /** What went wrong, and the usage text to show next to it. */
  | { kind: 'usage-error'; message: string; usage: string };

const COMMANDS = ['spec', 'check', 'discover', 'read'] as const;

const CONFIG = { type: 'string', demandOption: true, requiresArg: true, describe: 'Path to the config JSON file' } as const;

/** The command line (without node and the script) → the command to run. */
export async function parseArguments(args: string[]): Promise<ParsedArguments> {
  const parser = yargs(args)
    .scriptName(CONNECTOR_NAME)
    .usage('$0 <command> [options]\n\nAn Airbyte source for Stream Chat: every message is one JSON line on stdout.')
    .command('spec', 'Print the connector specification (one SPEC message)')
    .command('check', 'Validate the config and try the credentials (one CONNECTION_STATUS)', (y) => y.option('config', CONFIG))
    .command('discover', 'Print the streams this source offers (one CATALOG)', (y) => y.option('config', CONFIG))
    .command('read', 'Replicate the configured streams (RECORD, STATE, TRACE and LOG messages)', (y) =>
      y
        .option('config', CONFIG)
        .option('catalog', { ...CONFIG, describe: 'Path to the configured catalog JSON file' })
        .option('state', { type: 'string', requiresArg: true, describe: 'Path to the state JSON file (optional)' }),
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
  const [name] = argv._ as string[];
  const text = (key: string) => argv[key] as string;
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
    default:
      throw new UsageError(`Unknown command: ${String(name)}`);
  }
}
