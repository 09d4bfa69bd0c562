/**
 * DuckDB's one thread: the merges of every stream, one at a time, in the order they were queued. One
 * merge at a time bounds what DuckDB holds (its JSON reader alone takes a 32 MiB buffer a scan) and
 * leaves the other core to the read path.
 */
export class MergeLane {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `step` once every step queued before it is done; resolves when it is. `step` must not reject. */
  queue(step: () => Promise<void> | void): Promise<void> {
    this.tail = this.tail.then(step);
    return this.tail;
  }
}
