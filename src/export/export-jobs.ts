import { ConnectorError, failureTypeOf } from '../errors.js';
import { MAX_EXPORT_ITEMS } from '../stream/client.js';
import { chunk } from '../utils/chunk.js';
import type { JobFailure } from './task-pipeline.js';

/** One export task to run: a batch of channels, or of users named in user_ids. */
export type ExportJob = { kind: 'channels'; number: number; cids: string[] } | { kind: 'users'; number: number; userIds: string[] };

/** The channel batches in listing order, then the user batches. */
export function planJobs(cids: readonly string[], channelsPerExport: number, userIds: readonly string[]): ExportJob[] {
  return [
    ...chunk(cids, channelsPerExport).map((batch, index) => ({ kind: 'channels' as const, number: index + 1, cids: batch })),
    ...chunk(userIds, MAX_EXPORT_ITEMS).map((batch, index) => ({ kind: 'users' as const, number: index + 1, userIds: batch })),
  ];
}

export function describeJob(job: ExportJob): string {
  return job.kind === 'channels' ? `channel batch ${job.number} (${job.cids.join(', ')})` : `user batch ${job.number} (${job.userIds.join(', ')})`;
}

/** One error for the whole sync, of the gravest failure type among the failed exports. */
export function failedExports(failures: JobFailure<ExportJob>[], total: number): ConnectorError {
  const types = failures.map((failure) => failureTypeOf(failure.error));
  const type = types.includes('config_error') ? 'config_error' : types.includes('system_error') ? 'system_error' : 'transient_error';
  const details = failures.map((failure) => `${describeJob(failure.job)}: ${failure.error instanceof Error ? failure.error.message : String(failure.error)}`);
  const cids = failures.flatMap((failure) => (failure.job.kind === 'channels' ? failure.job.cids : []));
  return new ConnectorError(`${failures.length} of ${total} export(s) failed; the others were written and their state saved. ${details.join('; ')}`, type, {
    cause: failures[0]?.error,
    context: { cids },
  });
}
