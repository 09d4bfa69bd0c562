import { describe, expect, it } from 'vitest';
import { ConfigError, SystemError, TransientError } from '../../src/errors.js';
import { describeJob, failedExports, planJobs } from '../../src/export/export-jobs.js';

describe('export jobs', () => {
  it('plans channel batches in order, then user batches of at most 25', () => {
    const users = Array.from({ length: 26 }, (_, i) => `u${i}`);
    const jobs = planJobs(['a:1', 'a:2', 'a:3'], 2, users);
    expect(jobs.map((job) => (job.kind === 'channels' ? job.cids : job.userIds.length))).toEqual([['a:1', 'a:2'], ['a:3'], 25, 1]);
    expect(jobs.map(describeJob)).toEqual(['channel batch 1 (a:1, a:2)', 'channel batch 2 (a:3)', expect.stringMatching(/^user batch 1 \(u0, /), 'user batch 2 (u25)']);
  });

  it('sums failed exports up in one error of the gravest failure type, naming every channel', () => {
    const [first, second] = planJobs(['a:1', 'a:2'], 1, []) as [never, never];
    const transient = failedExports([{ job: first, error: new TransientError('task failed') }], 2);
    expect(transient.failureType).toBe('transient_error');
    expect(transient.message).toBe('1 of 2 export(s) failed; the others were written and their state saved. channel batch 1 (a:1): task failed');
    const mixed = failedExports(
      [
        { job: first, error: new TransientError('slow') },
        { job: second, error: new SystemError('odd reply') },
      ],
      2,
    );
    expect(mixed.failureType).toBe('system_error');
    expect(mixed.context.cids).toEqual(['a:1', 'a:2']);
    expect(failedExports([{ job: first, error: new ConfigError('gone') }, { job: second, error: new SystemError('x') }], 2).failureType).toBe('config_error');
  });
});
