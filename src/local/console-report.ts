import type { LogLevel, StreamStatus } from '../protocol/message-types.js';

export interface ConsoleReportOptions {
  /** Where progress and warnings go (stderr); live lines only when it is a terminal. */
  out: NodeJS.WritableStream & { isTTY?: boolean };
  streams: readonly string[];
  /** Redraw period of the live lines. Default 250 ms. */
  intervalMs?: number;
  now?: () => number;
}

interface StreamLine {
  records: number;
  firstAt: number | undefined;
  lastAt: number;
  status: string;
}

const MASK = '****';

/**
 * What a person sees of a sync on stderr. On a terminal: one live line per stream (records, exports
 * done/planned, rate), redrawn in place, with warnings printed above it. Elsewhere (cron, a pipe):
 * warnings and errors only. Secrets are masked in everything printed.
 */
export class ConsoleReport {
  exportsDone = 0;
  exportsPlanned: number | undefined;
  private readonly out: ConsoleReportOptions['out'];
  private readonly live: boolean;
  private readonly lines: Map<string, StreamLine>;
  private readonly secrets: string[] = [];
  private readonly now: () => number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private drawn = 0;

  constructor(options: ConsoleReportOptions) {
    this.out = options.out;
    this.live = options.out.isTTY === true;
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 250;
    this.lines = new Map(options.streams.map((name) => [name, { records: 0, firstAt: undefined, lastAt: 0, status: '' }]));
  }

  addSecret(value: string): void {
    if (value !== '' && !this.secrets.includes(value)) this.secrets.push(value);
  }

  /** Starts the live lines (on a terminal). */
  start(): void {
    if (!this.live || this.timer !== undefined) return;
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
    this.draw();
  }

  /** Stops the live lines, leaving their last state on screen. */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    this.drawn = 0;
  }

  /** After a signal: no more live lines. */
  interrupt(): void {
    this.stop();
  }

  record(stream: string): void {
    const line = this.lines.get(stream);
    if (line === undefined) return;
    const at = this.now();
    line.records += 1;
    line.firstAt ??= at;
    line.lastAt = at;
  }

  /** runSync's exports: written so far, and planned. */
  exportsWritten(done: number, planned: number): void {
    this.exportsDone = done;
    this.exportsPlanned = planned;
  }

  log(level: LogLevel, message: string): undefined {
    if (level === 'WARN' || level === 'ERROR' || level === 'FATAL') this.print(`${level === 'WARN' ? 'warning' : 'error'}: ${this.mask(message)}`);
    return undefined;
  }

  streamStatus(stream: string, status: StreamStatus, rateLimitedResetAt?: Date): undefined {
    const line = this.lines.get(stream);
    if (line === undefined) return undefined;
    if (rateLimitedResetAt !== undefined) line.status = `rate limited until ${rateLimitedResetAt.toISOString().slice(11, 19)} UTC`;
    else if (status === 'COMPLETE') line.status = 'read';
    else if (status === 'INCOMPLETE') line.status = 'incomplete';
    else line.status = '';
    return undefined;
  }

  estimate(): undefined {
    return undefined;
  }

  /** A line above the live ones (or alone when not on a terminal). */
  print(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    if (this.timer !== undefined) this.draw();
  }

  /** The live lines as they are now. */
  renderLines(): string[] {
    const width = Math.max(...[...this.lines.keys()].map((name) => name.length));
    const exports = this.exportsPlanned === undefined ? 'exports planning…' : `exports ${this.exportsDone}/${this.exportsPlanned}`;
    return [...this.lines].map(([name, line]) => {
      // A stream read to its end keeps the rate it had.
      const until = line.status === 'read' ? line.lastAt : this.now();
      const seconds = line.firstAt === undefined ? 0 : (until - line.firstAt) / 1000;
      const rate = seconds >= 1 ? `${formatCount(Math.round(line.records / seconds))} records/s` : '';
      const parts = [`${formatCount(line.records).padStart(11)} records`, exports, rate, line.status].filter((part) => part !== '');
      return `  ${name.padEnd(width)}${parts.join('  ·  ')}`;
    });
  }

  private draw(): void {
    this.clear();
    const lines = this.renderLines();
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  /** Moves the cursor up over the drawn live lines and erases them. */
  private clear(): void {
    if (this.drawn === 0) return;
    this.out.write(`\u001b[${this.drawn}A\u001b[0J`);
    this.drawn = 0;
  }

  private mask(text: string): string {
    let masked = text;
    for (const secret of this.secrets) masked = masked.replaceAll(secret, MASK);
    return masked;
  }
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
