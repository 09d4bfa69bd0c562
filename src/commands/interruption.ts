import { TransientError } from '../errors.js';
import type { MessageWriter } from '../protocol/writer.js';

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** The shell's convention: 128 + the signal number. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export interface InterruptionOptions {
  /** Told of the first signal: stdout's writer, or sync's console report. */
  writer: Pick<MessageWriter, 'interrupt'>;
  /** Ends the process; called on a second signal. */
  exit: (code: number) => void;
  /** How long the command gets to stop after the first signal before `deadline` resolves. Default 5000. */
  graceMs?: number;
  /** Where the signals come from. Default: process. */
  events?: NodeJS.EventEmitter;
}

/**
 * SIGTERM/SIGINT handling. The first signal stops RECORD and STATE output at once (no state may
 * follow the signal), aborts `signal` with a TransientError "interrupted by SIGTERM", and starts
 * the grace period; a second signal exits at once.
 */
export class Interruption {
  /** Set by the first signal: the error to report and the exit code to end with. */
  error: TransientError | undefined;
  exitCode: number | undefined;
  /** Resolves when the grace period after the first signal is over; never without a signal. */
  readonly deadline: Promise<void>;

  private readonly controller = new AbortController();
  private readonly listener = (signal: StopSignal) => this.onSignal(signal);
  private readonly events: NodeJS.EventEmitter;
  private endGrace: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: InterruptionOptions) {
    this.events = options.events ?? process;
    this.deadline = new Promise((resolve) => {
      this.endGrace = resolve;
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): this {
    for (const name of Object.keys(SIGNAL_EXIT_CODES)) this.events.on(name, this.listener);
    return this;
  }

  stop(): void {
    for (const name of Object.keys(SIGNAL_EXIT_CODES)) this.events.off(name, this.listener);
    clearTimeout(this.timer);
  }

  private onSignal(signal: StopSignal): void {
    if (this.error !== undefined) {
      this.options.exit(SIGNAL_EXIT_CODES[signal]);
      return;
    }
    this.error = new TransientError(`The sync was interrupted by ${signal}; the next sync resumes from the last state`);
    this.exitCode = SIGNAL_EXIT_CODES[signal];
    this.options.writer.interrupt();
    this.controller.abort(this.error);
    this.timer = setTimeout(this.endGrace, this.options.graceMs ?? 5000);
  }
}
