import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ConfigError, TransientError } from '../../src/errors.js';
import { runPipeline } from '../../src/export/task-pipeline.js';

describe('runPipeline', () => {
  it('prepares at most `concurrency` jobs at once and consumes one at a time', async () => {
    let preparing = 0;
    let maxPreparing = 0;
    let consuming = 0;
    let maxConsuming = 0;
    const consumed: number[] = [];
    await runPipeline([1, 2, 3, 4, 5, 6, 7], {
      concurrency: () => 3,
      signal: new AbortController().signal,
      isFatal: () => false,
      prepare: async (job) => {
        preparing += 1;
        maxPreparing = Math.max(maxPreparing, preparing);
        await sleep(job % 3 === 0 ? 30 : 5);
        preparing -= 1;
        return job * 10;
      },
      consume: async (job, ready) => {
        consuming += 1;
        maxConsuming = Math.max(maxConsuming, consuming);
        await sleep(3);
        consumed.push(ready);
        consuming -= 1;
      },
    });
    expect(maxPreparing).toBeLessThanOrEqual(3);
    expect(maxPreparing).toBeGreaterThan(1);
    expect(maxConsuming).toBe(1);
    expect(consumed.sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it('reads concurrency() before taking each job, so the jobs in flight follow it', async () => {
    let limit = 1;
    let preparing = 0;
    const inFlight: number[] = [];
    await runPipeline([1, 2, 3, 4, 5], {
      concurrency: () => limit,
      signal: new AbortController().signal,
      isFatal: () => false,
      prepare: async (job) => {
        preparing += 1;
        inFlight.push(preparing);
        if (job === 1) limit = 3;
        await sleep(10);
        preparing -= 1;
        return job;
      },
      consume: async () => undefined,
    });
    expect(Math.max(...inFlight)).toBe(3);
  });

  it('reports failed jobs and still runs the others', async () => {
    const consumed: number[] = [];
    const failures = await runPipeline([1, 2, 3], {
      concurrency: () => 2,
      signal: new AbortController().signal,
      isFatal: () => false,
      prepare: async (job) => {
        if (job === 2) throw new TransientError('task failed');
        return job;
      },
      consume: async (job) => void consumed.push(job),
    });
    expect(consumed.sort()).toEqual([1, 3]);
    expect(failures.map((failure) => failure.job)).toEqual([2]);
  });

  it('stops everything on a fatal error and rethrows it', async () => {
    const consumed: number[] = [];
    const run = runPipeline([1, 2, 3, 4], {
      concurrency: () => 1,
      signal: new AbortController().signal,
      isFatal: (error) => error instanceof ConfigError,
      prepare: async (job, signal) => {
        if (job === 2) throw new ConfigError('bad secret');
        await sleep(1, undefined, { signal });
        return job;
      },
      consume: async (job) => void consumed.push(job),
    });
    await expect(run).rejects.toThrow('bad secret');
    expect(consumed).toEqual([1]);
  });

  it('rejects with the abort reason when the caller aborts', async () => {
    const controller = new AbortController();
    const run = runPipeline([1, 2], {
      concurrency: () => 2,
      signal: controller.signal,
      isFatal: () => false,
      prepare: (job, signal) => sleep(10_000, job, { signal }),
      consume: async () => undefined,
    });
    setTimeout(() => controller.abort(new Error('SIGTERM')), 10);
    await expect(run).rejects.toThrow('SIGTERM');
  });
});
