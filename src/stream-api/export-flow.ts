import type { Task } from './task.js';

/** Latencies remembered: enough to smooth a few odd tasks, few enough to follow a change. */
const REMEMBERED = 10;
/** Headroom over Little's law for tasks slower than the average. */
const HEADROOM = 1.25;
/** Slots beyond the tasks themselves: the job waiting for the pace, the file being read. */
const SPARE_SLOTS = 2;

export interface ExportFlowOptions {
  /** The pace of export creation (max_exports_per_minute). */
  perMinute: number;
  now?: () => number;
}

/**
 * How many export tasks a sync keeps in flight, and when it expects them done, from the latency its own
 * tasks show: Stream documents neither a limit on tasks in flight nor how long a task takes. By
 * Little's law, keeping the pace takes pace × latency tasks in flight.
 */
export class ExportFlow {
  private readonly latencies: number[] = [];
  private readonly created = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly now: () => number;
  /** Lowered when Stream refuses an export for the tasks in flight. */
  private bound = Infinity;
  private warned = false;

  constructor(private readonly options: ExportFlowOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Export jobs in flight the pace needs; no bound of its own until a task's latency is known (the pace
   * holds creation back, the caller's max_concurrent_exports bounds memory).
   */
  limit(): number {
    if (this.latencies.length === 0) return this.bound;
    const mean = this.latencies.reduce((sum, latency) => sum + latency, 0) / this.latencies.length;
    const needed = Math.ceil(((this.options.perMinute * mean) / 60_000) * HEADROOM) + SPARE_SLOTS;
    return Math.min(this.bound, needed);
  }

  /** The shortest latency of this sync's recent tasks: when a new task is first worth a poll. */
  expectedLatencyMs(): number | undefined {
    return this.latencies.length === 0 ? undefined : Math.min(...this.latencies);
  }

  taskCreated(taskId: string): void {
    this.created.set(taskId, this.now());
  }

  /** A task seen completed: its latency, by Stream's own stamps when it gives them (without the polls' lag). */
  taskCompleted(task: Task): void {
    const createdAt = this.created.get(task.task_id);
    if (createdAt === undefined) return;
    const seen = this.now() - createdAt;
    const stamped = Date.parse(task.updated_at ?? '') - Date.parse(task.created_at ?? '');
    this.latencies.push(stamped >= 0 && stamped <= seen ? stamped : seen);
    if (this.latencies.length > REMEMBERED) this.latencies.shift();
    this.taskEnded(task.task_id);
  }

  /** A task that will not complete (failed, timed out, abandoned). */
  taskEnded(taskId: string): void {
    this.created.delete(taskId);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  get tasksInFlight(): number {
    return this.created.size;
  }

  /**
   * Stream refused an export while the quota had room: take it for a limit on tasks in flight, and keep
   * under the tasks in flight now. True the first time (worth a WARN).
   */
  refused(): boolean {
    this.bound = Math.max(1, Math.min(this.bound, this.tasksInFlight));
    const first = !this.warned;
    this.warned = true;
    return first;
  }

  /** Resolves when one of the tasks in flight completes or ends; at once when none is. */
  async taskDone(signal?: AbortSignal): Promise<void> {
    if (this.created.size === 0) return;
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(wake);
        reject(signal?.reason);
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
