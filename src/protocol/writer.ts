import { errorTrace } from './error-trace.js';
import { escapeLineBreaks } from './line-breaks.js';
import type { LogLevel, StreamStatus } from './message-types.js';

/** undefined: go on; a Promise: stdout is full, await it before writing more. */
export type WriteResult = Promise<void> | undefined;

export interface MessageWriterOptions {
  /** Values replaced by `****` in every LOG, TRACE and CONNECTION_STATUS text. */
  secrets?: string[];
}

/** Lines are gathered into chunks of up to this many bytes: one write call per chunk, not per message. */
const CHUNK_BYTES = 64 * 1024;
/** UTF-8 takes at most this many bytes per UTF-16 code unit. */
const MAX_BYTES_PER_CHAR = 3;
const MASK = '****';

interface StreamSlot {
  recordPrefix: string;
  recordPrefixBytes: Buffer;
  descriptor: string;
  recordsSinceState: number;
}

/**
 * The only thing that writes to stdout: one Airbyte message per line, never pretty-printed.
 * Messages are gathered into chunks of bytes and handed to the stream once per chunk (or on the
 * next turn of the event loop); when the stream reports it is full, every write returns the same
 * promise, resolved on 'drain', so a slow reader slows the sync instead of growing memory.
 * U+0085, U+2028 and U+2029 are escaped. Namespaces are never written (never "").
 */
export class MessageWriter {
  private readonly out: NodeJS.WritableStream;
  private readonly secrets: string[] = [];
  private readonly streams = new Map<string, StreamSlot>();
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  /** The bytes of `chunk` written to so far. */
  private used = 0;
  /** The emitted_at of the records in the chunk being gathered: one clock read per chunk, not per record. */
  private emittedAt: number | undefined;
  private scheduled: NodeJS.Immediate | undefined;
  private drain: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | undefined;
  private writesInFlight = 0;
  private flushWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private failure: { error: Error; promise: Promise<void> } | undefined;
  private interrupted = false;

  constructor(out: NodeJS.WritableStream = process.stdout, options: MessageWriterOptions = {}) {
    this.out = out;
    for (const secret of options.secrets ?? []) this.addSecret(secret);
    out.on('error', (error: Error) => this.fail(error));
  }

  addSecret(value: string): void {
    if (value !== '' && !this.secrets.includes(value)) this.secrets.push(value);
  }

  /**
   * From now on RECORD and STATE messages are dropped: after SIGTERM no state may claim records
   * the platform will never see. LOG and TRACE still go out.
   */
  interrupt(): void {
    this.interrupted = true;
  }

  /**
   * A RECORD. `json`, when given, is `data` already serialised in UTF-8 (as the export line carried
   * it): it is written as is, trusted to be one JSON object.
   */
  record(stream: string, data: Record<string, unknown>, json?: Uint8Array): WriteResult {
    if (this.interrupted) return undefined;
    const slot = this.slot(stream);
    // Serialised before it is counted: a value JSON.stringify cannot write (nested too deep) throws uncounted.
    const text = json === undefined ? JSON.stringify(data) : undefined;
    slot.recordsSinceState += 1;
    this.emittedAt ??= Date.now();
    const end = `,"emitted_at":${this.emittedAt}}}\n`;
    if (json === undefined) return this.push(`${slot.recordPrefix}${text}${end}`);
    if (this.failure !== undefined) return this.failure.promise;
    const bytes = slot.recordPrefixBytes.length + json.length + end.length;
    if (bytes > this.chunk.length - this.used) {
      this.writeChunk();
      if (bytes > this.chunk.length) {
        this.writeOut(slot.recordPrefixBytes);
        this.writeOut(escapeLineBreaks(Buffer.from(json.buffer, json.byteOffset, json.length)));
        this.writeOut(Buffer.from(end));
        return this.drain?.promise;
      }
    }
    this.used += slot.recordPrefixBytes.copy(this.chunk, this.used);
    this.chunk.set(json, this.used);
    this.used += json.length;
    this.used += this.chunk.write(end, this.used, 'latin1');
    return this.pushed();
  }

  /** A STREAM state; sourceStats.recordCount counts this stream's records since its previous state. */
  state(stream: string, streamState: Record<string, unknown>): WriteResult {
    if (this.interrupted) return undefined;
    const slot = this.slot(stream);
    const count = slot.recordsSinceState;
    slot.recordsSinceState = 0;
    // recordCount is a double in the protocol; the decimal point keeps Java readers happy.
    return this.push(
      `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":${slot.descriptor},` +
        `"stream_state":${JSON.stringify(streamState)}},"sourceStats":{"recordCount":${count}.0}}}\n`,
    );
  }

  streamStatus(stream: string, status: StreamStatus, rateLimitedResetAt?: Date): WriteResult {
    const reasons =
      rateLimitedResetAt === undefined ? '' : `,"reasons":[{"type":"RATE_LIMITED","rate_limited":{"quota_reset":${Math.round(rateLimitedResetAt.getTime())}}}]`;
    return this.push(
      `{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":${Date.now()},"stream_status":` +
        `{"stream_descriptor":${this.slot(stream).descriptor},"status":"${status}"${reasons}}}}\n`,
    );
  }

  log(level: LogLevel, message: string): WriteResult {
    return this.message({ type: 'LOG', log: { level, message: this.mask(message) } });
  }

  /** A per-stream row estimate (TRACE ESTIMATE, type STREAM). */
  estimate(stream: string, rowEstimate: number): WriteResult {
    const estimate = { name: stream, type: 'STREAM', row_estimate: Math.max(0, Math.round(rowEstimate)) };
    return this.message({ type: 'TRACE', trace: { type: 'ESTIMATE', emitted_at: Date.now(), estimate } });
  }

  /** A TRACE ERROR for any thrown value, failure_type from failureTypeOf, secrets masked. */
  error(error: unknown, stream?: string): WriteResult {
    const trace = errorTrace(error, stream);
    const masked = {
      ...trace,
      message: this.mask(trace.message),
      ...(trace.internal_message === undefined ? {} : { internal_message: this.mask(trace.internal_message) }),
      ...(trace.stack_trace === undefined ? {} : { stack_trace: this.mask(trace.stack_trace) }),
    };
    return this.message({ type: 'TRACE', trace: { type: 'ERROR', emitted_at: Date.now(), error: masked } });
  }

  spec(spec: object): WriteResult {
    return this.message({ type: 'SPEC', spec });
  }

  catalog(streams: object[]): WriteResult {
    return this.message({ type: 'CATALOG', catalog: { streams } });
  }

  connectionStatus(status: 'SUCCEEDED' | 'FAILED', message?: string): WriteResult {
    const connectionStatus = message === undefined ? { status } : { status, message: this.mask(message) };
    return this.message({ type: 'CONNECTION_STATUS', connectionStatus });
  }

  /** Resolves once everything written so far has been handed to the OS; rejects if stdout failed. */
  flush(): Promise<void> {
    this.writeChunk();
    if (this.failure !== undefined) return this.failure.promise;
    if (this.writesInFlight === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.flushWaiters.push({ resolve, reject }));
  }

  private message(message: object): WriteResult {
    return this.push(`${JSON.stringify(message)}\n`);
  }

  private push(line: string): WriteResult {
    if (this.failure !== undefined) return this.failure.promise;
    if (line.length * MAX_BYTES_PER_CHAR > this.chunk.length - this.used) {
      const bytes = Buffer.byteLength(line);
      if (bytes > this.chunk.length - this.used) this.writeChunk();
      if (bytes > this.chunk.length) {
        this.writeOut(escapeLineBreaks(Buffer.from(line)));
        return this.drain?.promise;
      }
    }
    this.used += this.chunk.write(line, this.used);
    return this.pushed();
  }

  /** The chunk is written on the next turn of the event loop, unless it fills up before. */
  private pushed(): WriteResult {
    this.scheduled ??= setImmediate(() => this.writeChunk());
    return this.drain?.promise;
  }

  private writeChunk(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.used === 0 || this.failure !== undefined) return;
    const chunk = this.chunk.subarray(0, this.used);
    // The stream keeps the chunk until it is written: the next one gets its own memory.
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    this.emittedAt = undefined;
    this.writeOut(escapeLineBreaks(chunk));
  }

  private writeOut(bytes: Buffer): void {
    this.writesInFlight += 1;
    const accepted = this.out.write(bytes, (error) => this.written(error ?? undefined));
    if (!accepted && this.drain === undefined) this.waitForDrain();
  }

  private waitForDrain(): void {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers that ignore a write's result must not turn a broken stdout into an unhandled rejection.
    promise.catch(() => undefined);
    this.drain = { promise, resolve, reject };
    this.out.once('drain', () => {
      this.drain = undefined;
      resolve();
    });
  }

  private written(error: Error | undefined): void {
    this.writesInFlight -= 1;
    if (error !== undefined) {
      this.fail(error);
      return;
    }
    if (this.writesInFlight === 0 && this.used === 0) {
      const waiters = this.flushWaiters;
      this.flushWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    const promise = Promise.reject(error);
    promise.catch(() => undefined);
    this.failure = { error, promise };
    this.drain?.reject(error);
    this.drain = undefined;
    for (const waiter of this.flushWaiters) waiter.reject(error);
    this.flushWaiters = [];
  }

  private slot(stream: string): StreamSlot {
    let slot = this.streams.get(stream);
    if (slot === undefined) {
      const name = JSON.stringify(stream);
      const recordPrefix = `{"type":"RECORD","record":{"stream":${name},"data":`;
      slot = { recordPrefix, recordPrefixBytes: escapeLineBreaks(Buffer.from(recordPrefix)), descriptor: `{"name":${name}}`, recordsSinceState: 0 };
      this.streams.set(stream, slot);
    }
    return slot;
  }

  private mask(text: string): string {
    let masked = text;
    for (const secret of this.secrets) masked = masked.replaceAll(secret, MASK);
    return masked;
  }
}
