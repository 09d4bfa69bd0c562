import { ConfigError } from '../errors.js';
import { MessageWriter } from '../protocol/writer.js';
import { parseArguments } from './arguments.js';
import type { Command } from './arguments.js';
import { Interruption } from './interruption.js';

export interface RunOptions {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Ends the process at once (a second signal). Default: process.exit. */
  exit?: (code: number) => void;
  /** See InterruptionOptions. */
  graceMs?: number;
  events?: NodeJS.EventEmitter;
}

/** Exit code of a command line the parser rejects (unknown command, missing flag). */
export const USAGE_EXIT_CODE = 2;
/** After a signal, stdout may have no reader left: do not wait for it longer than this. */
const FLUSH_AFTER_SIGNAL_MS = 1000;

/**
 * Runs one command line and resolves with the exit code once stdout is flushed. Whatever goes
 * wrong ends as exactly one TRACE ERROR: usage errors with config_error (and the usage on
 * stderr), thrown errors with failureTypeOf's type, signals with transient_error.
 */
export async function run(args: string[], options: RunOptions = {}): Promise<number> {
  const writer = new MessageWriter(options.stdout ?? process.stdout);
  const parsed = await parseArguments(args);
  if (parsed.kind === 'info') return 0;
  if (parsed.kind === 'usage-error') {
    (options.stderr ?? process.stderr).write(`${parsed.message}\n\n${parsed.usage}\n`);
    await writer.error(new ConfigError(`Invalid command line: ${parsed.message}`));
    await writer.flush().catch(() => undefined);
    return USAGE_EXIT_CODE;
  }

  const interruption = new Interruption({
    writer,
    exit: options.exit ?? ((code) => process.exit(code)),
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(options.events === undefined ? {} : { events: options.events }),
  }).start();
  let failure: { error: unknown } | undefined;
  try {
    await Promise.race([dispatch(parsed.command, writer, interruption.signal), interruption.deadline]);
  } catch (error) {
    failure = { error };
  } finally {
    interruption.stop();
  }

  let exitCode = 0;
  if (interruption.error !== undefined) {
    await writer.error(interruption.error);
    exitCode = interruption.exitCode ?? 1;
  } else if (failure !== undefined) {
    await writer.error(failure.error);
    exitCode = 1;
  }
  const flushed = writer.flush().catch(() => undefined);
  await (interruption.error === undefined ? flushed : Promise.race([flushed, delay(FLUSH_AFTER_SIGNAL_MS)]));
  return exitCode;
}

// Each command loads only its own modules: `spec` need not pay for the HTTP client and the export pipeline.
async function dispatch(command: Command, writer: MessageWriter, signal: AbortSignal): Promise<void> {
  switch (command.name) {
    case 'spec':
      return (await import('./spec.js')).spec(writer);
    case 'check':
      return (await import('./check.js')).check(command, writer, signal);
    case 'discover':
      return (await import('./discover.js')).discover(command, writer);
    case 'read':
      return (await import('./read.js')).read(command, writer, signal);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
