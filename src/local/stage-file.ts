import { closeSync, openSync, rmSync, writeSync, writevSync } from 'node:fs';

/** Lines are written to the file once this many bytes wait: the reader's memory holds no more of a stage. */
const WRITE_BYTES = 1 << 20;
const NEWLINE = new Uint8Array([0x0a]);

/**
 * Records waiting for their merge: one JSON record a line, in a file DuckDB reads when it merges them
 * (`read_json_objects`). The records wait on disk, not in the reader's memory nor DuckDB's; a stage
 * holds each key once, so a merge has no repeated key to choose between.
 */
export class StageFile {
  /** Records appended. */
  rows = 0;
  /** Bytes of the longest record: DuckDB is told how large an object it must take. */
  longest = 0;
  private readonly keys = new Set<string>();
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private fd: number | undefined;

  constructor(readonly path: string) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Appends one record's JSON (without a line break) under its key. */
  append(key: string, json: Uint8Array): void {
    this.keys.add(key);
    this.rows += 1;
    this.longest = Math.max(this.longest, json.byteLength);
    this.batch.push(json, NEWLINE);
    this.batchBytes += json.byteLength + 1;
    if (this.batchBytes >= WRITE_BYTES) this.write();
  }

  /** Writes what waits and closes the file: it is whole, for DuckDB to read. */
  close(): void {
    this.write();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  remove(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }

  private write(): void {
    if (this.batch.length === 0) return;
    this.fd ??= openSync(this.path, 'w');
    let written = writevSync(this.fd, this.batch);
    if (written < this.batchBytes) {
      // A short write (a signal): the rest, from where it stopped.
      const bytes = Buffer.concat(this.batch);
      while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    }
    this.batch = [];
    this.batchBytes = 0;
  }
}

/** A record's JSON as the bytes of one line: Stream's own when they hold no line break (\n or \r), else serialised. */
export function lineOf(data: Record<string, unknown>, json: Uint8Array | undefined): Uint8Array {
  if (json !== undefined && json.indexOf(0x0a) < 0 && json.indexOf(0x0d) < 0) return json;
  return Buffer.from(JSON.stringify(data), 'utf8');
}
