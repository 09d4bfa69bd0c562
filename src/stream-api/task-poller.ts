import type { ConnectorError, ErrorContext } from '../errors.js';
import type { Log } from './api-transport.js';
import type { Decision } from './retry-decision.js';
import { decide, errorOf } from './retry-decision.js';
import { sleep } from './sleep.js';
import { downloadUrlOf, type CompletedTask, type Task } from './task.js';

export interface WaitForTaskOptions {
  /**
   * The shortest time between two polls. Then, a task is polled first when it is expected done (when
   * expectedLatencyMs says), and every fifth of the time it has run (so its completion is seen within
   * about a fifth of its latency); with no expectation, every half of it; at most maxPollIntervalMs apart.
   */
  pollIntervalMs: number;
  /** Default 60 s. */
  maxPollIntervalMs?: number;
  /** How long this task is likely to take, read before each poll: the latency of earlier tasks. */
  expectedLatencyMs?: () => number | undefined;
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

/**
 * Polls come every this share of the time a task has run: a fifth once it is late on the tasks before it
 * (seen soon after it completes), a half while no task has shown a latency (the first tasks of a sync,
 * often many at once, poll no more than they did at ×1.5).
 */
const LATE_SHARE = 0.2;
const UNKNOWN_SHARE = 0.5;
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
 * Polls `getTask` until the task completes. What each poll's task status means, and the task's time
 * running out, is the retry table's decision. A failed task is a TransientError: nothing says the config
 * or the connector is wrong, and the only remedy, a new export in a later attempt, is what a retry does.
 */
export async function pollTask(
  taskId: string,
  getTask: (signal?: AbortSignal) => Promise<Task>,
  options: WaitForTaskOptions,
  log?: Log,
): Promise<CompletedTask> {
  return new TaskPoll(taskId, getTask, options, log).untilCompleted();
}

class TaskPoll {
  private readonly name: string;
  private readonly errorContext: ErrorContext;
  private readonly maxInterval: number;
  private readonly unknownTimeout: number;
  private readonly deadline: number;
  private readonly unknownStatuses = new Set<string>();
  private readonly started = Date.now();
  private last: Task | undefined;
  /** When a run of unknown statuses fails the task; none while the status is a known one. */
  private unknownDeadline = Infinity;

  constructor(
    private readonly taskId: string,
    private readonly getTask: (signal?: AbortSignal) => Promise<Task>,
    private readonly options: WaitForTaskOptions,
    private readonly log: Log | undefined,
  ) {
    this.name = `Export task ${taskId}${describeContext(options.context)}`;
    this.errorContext = { ...options.context, taskId };
    this.maxInterval = options.maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS;
    this.unknownTimeout = options.unknownStatusTimeoutMs ?? DEFAULT_UNKNOWN_STATUS_TIMEOUT_MS;
    this.deadline = this.started + options.timeoutMs;
  }

  async untilCompleted(): Promise<CompletedTask> {
    for (;;) {
      const task = await this.poll();
      const url = downloadUrlOf(task);
      if (url !== undefined) return { ...task, status: 'completed', result: { ...task.result, url } };
      await this.afterStatus(task);
    }
  }

  /** The task as the next poll finds it, once that poll is due. */
  private async poll(): Promise<Task> {
    const { signal } = this.options;
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) throw this.timedOut();
    await sleep(Math.min(this.delay(), remaining, this.unknownDeadline - Date.now()), signal);
    // The timeout bounds the task's whole life, polls included: a poll that trickles is cut at the deadline.
    const pollDeadline = AbortSignal.timeout(Math.max(1, this.deadline - Date.now()));
    const task = await this.getTask(signal === undefined ? pollDeadline : AbortSignal.any([signal, pollDeadline])).catch((error: unknown) => {
      throw pollDeadline.aborted && !signal?.aborted ? this.timedOut() : error;
    });
    this.last = task;
    this.options.onPoll?.(task);
    return task;
  }

  /** Until the task is expected done, then a share of the time it has run, up to the cap; never under the floor. */
  private delay(): number {
    const { pollIntervalMs, expectedLatencyMs } = this.options;
    const elapsed = Date.now() - this.started;
    const expected = expectedLatencyMs?.();
    const wait = expected === undefined ? elapsed * UNKNOWN_SHARE : elapsed < expected ? expected - elapsed : elapsed * LATE_SHARE;
    return Math.max(pollIntervalMs, Math.min(wait, this.maxInterval));
  }

  /** What the retry table decides for a task not completed with a URL: poll on, or the error. */
  private async afterStatus(task: Task): Promise<void> {
    const decision = decide({ request: 'poll', kind: 'task', status: task.status });
    if (decision.action === 'poll-again') {
      this.unknownDeadline = Infinity;
      return;
    }
    if (decision.action === 'poll-bounded') return this.pollBounded(task, decision);
    if (decision.rule === 'task-without-url')
      throw errorOf(decision, `${this.name} completed without a download URL`, { context: this.errorContext, cause: task });
    const stated = `${task.error?.type ?? 'unknown'}: ${task.error?.description ?? 'no description'}`;
    throw errorOf(decision, `${this.name} failed on Stream's side: ${stated}`, { context: { ...this.errorContext, taskError: task.error ?? null } });
  }

  /** A status the connector does not know: polled on, with one WARN a status, until the bound on such statuses. */
  private async pollBounded(task: Task, decision: Decision): Promise<void> {
    if (this.unknownDeadline === Infinity) this.unknownDeadline = Date.now() + this.unknownTimeout;
    if (!this.unknownStatuses.has(task.status)) {
      this.unknownStatuses.add(task.status);
      await this.log?.(
        'WARN',
        `Export task ${this.taskId} has status "${task.status}", unknown to the connector; polling on for up to ${minutes(this.unknownTimeout)}`,
      );
    }
    if (Date.now() < this.unknownDeadline) return;
    throw errorOf(
      decision,
      `${this.name} has had status "${task.status}", unknown to the connector, for ${minutes(this.unknownTimeout)}: taken for a task that will not finish; a later attempt starts a new export`,
      { context: { ...this.errorContext, taskStatus: task.status } },
    );
  }

  private timedOut(): ConnectorError {
    const words = `${this.name} did not finish within ${minutes(this.options.timeoutMs)} (last status: ${this.last?.status ?? 'none'})`;
    return errorOf(decide({ request: 'poll', kind: 'timed-out' }), words, { context: { ...this.errorContext, taskStatus: this.last?.status } });
  }
}
