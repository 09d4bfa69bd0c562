import type { ErrorContext } from '../errors.js';
import { SystemError, TransientError } from '../errors.js';
import type { Log } from './api-transport.js';
import { sleep } from './sleep.js';
import { downloadUrlOf, type CompletedTask, type Task } from './task.js';

export interface WaitForTaskOptions {
  /** First poll delay; later polls back off (×1.5) to maxPollIntervalMs. */
  pollIntervalMs: number;
  /** Default 60 s. */
  maxPollIntervalMs?: number;
  /** Give up (TransientError naming the task and context) after this long. */
  timeoutMs: number;
  /**
   * Give up on a task whose status the connector does not know once it has had one for this long,
   * counted from the first poll that returned it (a known pending status starts the count again).
   * Stream documents no statuses: an unknown one may be a new kind of waiting, or a task that will
   * never finish. Default 10 min.
   */
  unknownStatusTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called after every poll, e.g. to keep the platform informed. */
  onPoll?: (task: Task) => void;
  /** Carried into errors: the channels or users of the task. */
  context?: ErrorContext;
}

const PENDING_STATUSES = new Set(['waiting', 'pending', 'running']);
const BACKOFF_FACTOR = 1.5;
const DEFAULT_MAX_POLL_INTERVAL_MS = 60_000;
const DEFAULT_UNKNOWN_STATUS_TIMEOUT_MS = 10 * 60_000;

function minutes(ms: number): string {
  return `${Number((ms / 60_000).toFixed(1))} min`;
}

function describeContext(context: ErrorContext | undefined): string {
  if (context?.cids !== undefined) return ` (channels ${context.cids.join(', ')})`;
  if (context?.cid !== undefined) return ` (channel ${context.cid})`;
  if (Array.isArray(context?.userIds)) return ` (users ${context.userIds.join(', ')})`;
  return '';
}

/**
 * Polls `getTask` until the task completes. A failed task is a TransientError: nothing says the config or
 * the connector is wrong, and the only remedy, a new export in a later attempt, is what a retry does.
 */
export async function pollTask(
  taskId: string,
  getTask: (signal?: AbortSignal) => Promise<Task>,
  options: WaitForTaskOptions,
  log?: Log,
): Promise<CompletedTask> {
  const { signal, context } = options;
  const maxInterval = options.maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS;
  const unknownTimeout = options.unknownStatusTimeoutMs ?? DEFAULT_UNKNOWN_STATUS_TIMEOUT_MS;
  const deadline = Date.now() + options.timeoutMs;
  const errorContext = { ...context, taskId };
  const unknownStatuses = new Set<string>();
  let interval = Math.min(options.pollIntervalMs, maxInterval);
  let last: Task | undefined;
  /** When a run of unknown statuses fails the task; none while the status is a known one. */
  let unknownDeadline = Infinity;

  const timedOut = () =>
    new TransientError(
      `Export task ${taskId}${describeContext(context)} did not finish within ${minutes(options.timeoutMs)} (last status: ${last?.status ?? 'none'})`,
      { context: { ...errorContext, taskStatus: last?.status } },
    );

  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timedOut();
    await sleep(Math.min(interval, remaining, unknownDeadline - Date.now()), signal);
    interval = Math.min(interval * BACKOFF_FACTOR, maxInterval);
    // The timeout bounds the task's whole life, polls included: a poll that trickles is cut at the deadline.
    const pollDeadline = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    const task = await getTask(signal === undefined ? pollDeadline : AbortSignal.any([signal, pollDeadline])).catch((error: unknown) => {
      throw pollDeadline.aborted && !signal?.aborted ? timedOut() : error;
    });
    last = task;
    options.onPoll?.(task);

    if (task.status === 'completed') {
      const url = downloadUrlOf(task);
      if (url === undefined) {
        throw new SystemError(`Export task ${taskId}${describeContext(context)} completed without a download URL`, {
          context: errorContext,
          cause: task,
        });
      }
      return { ...task, status: 'completed', result: { ...task.result, url } };
    }
    if (task.status === 'failed') {
      const type = task.error?.type ?? 'unknown';
      const description = task.error?.description ?? 'no description';
      throw new TransientError(`Export task ${taskId}${describeContext(context)} failed on Stream's side: ${type}: ${description}`, {
        context: { ...errorContext, taskError: task.error ?? null },
      });
    }
    if (PENDING_STATUSES.has(task.status)) {
      unknownDeadline = Infinity;
      continue;
    }
    if (unknownDeadline === Infinity) unknownDeadline = Date.now() + unknownTimeout;
    if (!unknownStatuses.has(task.status)) {
      unknownStatuses.add(task.status);
      await log?.('WARN', `Export task ${taskId} has status "${task.status}", unknown to the connector; polling on for up to ${minutes(unknownTimeout)}`);
    }
    if (Date.now() >= unknownDeadline) {
      throw new TransientError(
        `Export task ${taskId}${describeContext(context)} has had status "${task.status}", unknown to the connector, for ${minutes(unknownTimeout)}: taken for a task that will not finish; a later attempt starts a new export`,
        { context: { ...errorContext, taskStatus: task.status } },
      );
    }
  }
}
