import { ChannelNotFoundError, ConnectorError, failureTypeOf } from '../errors.js';
import type { JobFailure } from '../export/task-pipeline.js';
import type { ExportJob } from './export-job.js';

/** One error for the whole sync, of the gravest failure type among the failed exports. */
export function failedExports(failures: JobFailure<ExportJob>[], total: number): ConnectorError {
  const types = failures.map((failure) => failureTypeOf(failure.error));
  const type = types.includes('config_error') ? 'config_error' : types.includes('system_error') ? 'system_error' : 'transient_error';
  const details = failures.map((failure) => `${failure.job.description}: ${failure.error instanceof Error ? failure.error.message : String(failure.error)}`);
  const cids = failures.flatMap((failure) => failure.job.cids);
  const others = failures.length < total ? '; the others were written and their state saved' : '';
  const lag = cids.length > 0 ? ' Their channels lag behind and are exported first next time.' : '';
  return new ConnectorError(`${failures.length} of ${total} export(s) failed${others}.${lag} ${details.join('; ')}`, type, {
    cause: failures[0]?.error,
    context: { cids },
  });
}

/** Channels channel_ids names that Stream cannot find: the user's to fix, whatever else failed. */
export function unfoundChannels(cids: string[], failures: JobFailure<ExportJob>[], total: number): ChannelNotFoundError {
  const others = failures.length === 0 ? 'every other channel was exported and its state saved' : failedExports(failures, total).message;
  return new ChannelNotFoundError(`Stream cannot find channel ${cids.join(', ')}: check channel_ids in the config (${others})`, { context: { cids } });
}
