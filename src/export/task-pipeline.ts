import { setMaxListeners } from 'node:events';

export interface PipelineOptions<Job, Ready> {
  /** Jobs in flight at once (export tasks created and not yet fully consumed), read before each job is taken. */
  concurrency: () => number;
  signal: AbortSignal;
  /** Runs up to `concurrency()` at a time: create the export task and wait for it. */
  prepare: (job: Job, signal: AbortSignal) => Promise<Ready>;
  /** Runs one at a time, in the order jobs become ready: download, parse, write. */
  consume: (job: Job, ready: Ready, signal: AbortSignal) => Promise<void>;
  /** An error that makes every other job pointless (bad credentials): stop them all. */
  isFatal: (error: unknown) => boolean;
  /** Told of each job that failed (not fatally), as it fails. */
  onFailed?: (job: Job, error: unknown) => void;
}

export interface JobFailure<Job> {
  job: Job;
  error: unknown;
}

/**
 * Runs every job through prepare → consume, taking the next job only when one of `concurrency()` slots is
 * free (the jobs' source runs no further ahead). A failing job does not stop the others unless its
 * error is fatal; an abort of `signal` stops everything and rejects with the abort reason. A source
 * that fails rejects once the jobs in flight are done.
 */
export async function runPipeline<Job, Ready>(jobs: AsyncIterable<Job> | Iterable<Job>, options: PipelineOptions<Job, Ready>): Promise<JobFailure<Job>[]> {
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  // Every job in flight listens on it (sleeps, requests), a few listeners each, however many are in flight: not a leak.
  setMaxListeners(0, signal);
  const failures: JobFailure<Job>[] = [];
  const fatal: { error?: unknown; set: boolean } = { set: false };
  const inTurn = turns();
  const running = new Set<Promise<void>>();

  const runJob = async (job: Job): Promise<void> => {
    try {
      const ready = await options.prepare(job, signal);
      await inTurn(() => (signal.aborted ? Promise.resolve() : options.consume(job, ready, signal)));
    } catch (error) {
      if (signal.aborted && !fatal.set) return;
      if (options.isFatal(error)) {
        if (!fatal.set) Object.assign(fatal, { error, set: true });
        stop.abort(error);
        return;
      }
      if (stop.signal.aborted) return;
      failures.push({ job, error });
      options.onFailed?.(job, error);
    }
  };

  try {
    for await (const job of jobs) {
      if (signal.aborted) break;
      const run: Promise<void> = runJob(job).finally(() => running.delete(run));
      running.add(run);
      // The next job is taken from the source only once a slot is free.
      while (running.size >= options.concurrency()) await Promise.race(running);
    }
  } finally {
    await Promise.all(running);
  }
  options.signal.throwIfAborted();
  if (fatal.set) throw fatal.error;
  return failures;
}

/** Runs work one piece at a time, in the order asked. */
function turns(): (work: () => Promise<void>) => Promise<void> {
  let consuming: Promise<unknown> = Promise.resolve();
  return (work) => {
    const turn = consuming.then(work);
    consuming = turn.catch(() => undefined);
    return turn;
  };
}
