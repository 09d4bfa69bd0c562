import { ConfigError } from '../errors.js';
import { MessageWriter } from '../protocol/writer.js';
import { parseArguments } from './arguments.js';
import type { Command } from './arguments.js';
import { Interruption } from './interruption.js';

/** Exit code of a command line the parser rejects (unknown command, missing flag). */
export const USAGE_EXIT_CODE = 2;
/** After a signal, stdout may have no reader left: do not wait for it longer than this. */
const FLUSH_AFTER_SIGNAL_MS = 1000;
/** Exit code when stdout's reader went away (128 + SIGPIPE, as a shell reports it). */
export const BROKEN_STDOUT_EXIT_CODE = 141;

/**
 * Runs one command line and resolves with the exit code once stdout is flushed. Whatever goes
 * wrong ends as exactly one TRACE ERROR: usage errors with config_error (and the usage on
 * stderr), thrown errors with failureTypeOf's type, signals with transient_error.
 */
export async function run(args: string[]): Promise<number> {
  const writer = new MessageWriter(process.stdout);
  let parsed: Awaited<ReturnType<typeof parseArguments>>;
  try {
    parsed = await parseArguments(args);
  } catch (error) {
    await writer.error(error);
    await writer.flush().catch(() => undefined);
    return 1;
  }
  if (parsed.kind === 'info') return 0;
  if (parsed.kind === 'usage-error') {
    process.stderr.write(`${parsed.message}\n\n${parsed.usage}\n`);
    await writer.error(new ConfigError(`Invalid command line: ${parsed.message}`));
    await writer.flush().catch(() => undefined);
    return USAGE_EXIT_CODE;
  }

  const interruption = new Interruption({ writer, exit: (code) => process.exit(code) }).start();
  // When stdout's reader goes away (`read … | head -1`), nothing more can be delivered: stop creating work.
  const stdoutGone = new AbortController();
  const onStdoutError = (error: Error) => stdoutGone.abort(error);
  process.stdout.on('error', onStdoutError);
  let failure: { error: unknown } | undefined;
  try {
    const signal = AbortSignal.any([interruption.signal, stdoutGone.signal]);
    await Promise.race([dispatch(parsed.command, writer, signal), interruption.deadline]);
  } catch (error) {
    failure = { error };
  } finally {
    interruption.stop();
    process.stdout.off('error', onStdoutError);
  }
  if (stdoutGone.signal.aborted) {
    const reason = stdoutGone.signal.reason as { code?: string; message?: string };
    process.stderr.write(`source-stream-chat: stdout was closed (${reason.code ?? reason.message ?? 'error'}); stopped without finishing\n`);
    return BROKEN_STDOUT_EXIT_CODE;
  }

  let exitCode = 0;
  if (interruption.error !== undefined) {
    await writer.error(interruption.error)?.catch(() => undefined);
    exitCode = interruption.exitCode ?? 1;
  } else if (failure !== undefined) {
    await writer.error(failure.error)?.catch(() => undefined);
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
    case 'sync':
      // main.ts hands `sync …` to commands/sync.ts, whose stdout is for people, not Airbyte.
      throw new ConfigError('Put the command first: source-stream-chat sync --config FILE --duckdb FILE');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
