import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';

export interface PipelineOptions<Job, Ready> {
  /** Jobs prepared at once: export tasks created and not yet fully consumed. */
  concurrency: number;
  signal: AbortSignal;
  /** Runs up to `concurrency` at a time: create the export task and wait for it. */
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
 * Runs every job through prepare → consume. A failing job does not stop the others unless its error
 * is fatal; an abort of `signal` stops everything and rejects with the abort reason.
 */
export async function runPipeline<Job, Ready>(jobs: readonly Job[], options: PipelineOptions<Job, Ready>): Promise<JobFailure<Job>[]> {
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  // Every job in flight listens on it (sleeps, requests): a few listeners each, not a leak.
  setMaxListeners(Math.max(10, options.concurrency * 8), signal);
  const limit = pLimit(options.concurrency);
  const failures: JobFailure<Job>[] = [];
  let fatal: { error: unknown } | undefined;
  let consuming: Promise<unknown> = Promise.resolve();

  const inTurn = (work: () => Promise<void>): Promise<void> => {
    const turn = consuming.then(work);
    consuming = turn.catch(() => undefined);
    return turn;
  };

  await Promise.all(
    jobs.map((job) =>
      limit(async () => {
        if (signal.aborted) return;
        try {
          const ready = await options.prepare(job, signal);
          await inTurn(() => (signal.aborted ? Promise.resolve() : options.consume(job, ready, signal)));
        } catch (error) {
          if (signal.aborted && !fatal) return;
          if (options.isFatal(error)) {
            fatal ??= { error };
            stop.abort(error);
            return;
          }
          if (stop.signal.aborted) return;
          failures.push({ job, error });
          options.onFailed?.(job, error);
        }
      }),
    ),
  );

  options.signal.throwIfAborted();
  if (fatal) throw fatal.error;
  return failures;
}
