import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { DownloadServer } from './download-server.js';
import { writeFile } from './export-file.js';
import { dateToMicros, formatMicros } from './time.js';

// Export tasks. The status follows the emulator clock, not the number of polls: the first quarter of the
// latency `waiting`, the second `pending`, then `running` until the latency has passed and the file is
// written, then `completed` (or `failed`).

export interface TaskSpec {
  kind: 'channels' | 'users';
  /** The export file, generated from now on (already bound to a snapshot of the data). */
  pieces: Iterable<string>;
  fileName: string;
  gzip: boolean;
  latencyMs: number;
  /** End `failed` without writing anything (the failTasks fault). */
  fail: boolean;
  /** Report this status forever instead (the unknownTaskStatus fault). */
  stuckStatus?: string;
}

export interface TaskView {
  task_id: string;
  /** 'waiting' | 'pending' | 'running' | 'completed' | 'failed', or what the unknownTaskStatus fault says. */
  status: string;
  created_at: string;
  updated_at: string;
  result?: { url: string; path: string; s3_bucket_name: string };
  error?: { type: string; description: string };
}

interface Task {
  id: string;
  key: string;
  createdAt: number;
  latencyMs: number;
  doneAt?: number;
  failure?: string;
  stuckStatus?: string;
}

export class Tasks {
  private readonly tasks = new Map<string, Task>();
  private readonly writing = new Set<Promise<void>>();
  private readonly closing = new AbortController();

  constructor(
    private readonly now: () => Date,
    private readonly store: DownloadServer,
    private readonly dir: string,
    private readonly apiKey: string,
    private readonly bucket: string,
  ) {
    // Every file being written listens on it: as many as the tasks a client keeps in flight, not a leak.
    setMaxListeners(0, this.closing.signal);
  }

  create(spec: TaskSpec): string {
    const id = randomUUID();
    const key = `exports/${spec.kind}/${this.apiKey}/${id}/${spec.fileName}`;
    const task: Task = { id, key, createdAt: this.now().getTime(), latencyMs: spec.latencyMs, stuckStatus: spec.stuckStatus };
    this.tasks.set(id, task);
    if (spec.fail) {
      task.failure = 'export failed (emulated by the failTasks fault)';
      task.doneAt = task.createdAt;
      return id;
    }
    const localPath = join(this.dir, `${id}-${spec.fileName}`);
    const writing = writeFile(spec.pieces, localPath, spec.gzip, this.closing.signal)
      .then((size) => this.store.put({ key, localPath, size }))
      .catch((error: unknown) => {
        task.failure = `export failed while writing the file: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        task.doneAt = this.now().getTime();
        this.writing.delete(writing);
      });
    this.writing.add(writing);
    return id;
  }

  view(id: string): TaskView | undefined {
    const task = this.tasks.get(id);
    if (!task) return undefined;
    const elapsed = this.now().getTime() - task.createdAt;
    const at = (offsetMs: number) => formatMicros(dateToMicros(new Date(task.createdAt + offsetMs)));
    const base = { task_id: id, created_at: at(0) };
    if (task.stuckStatus !== undefined) return { ...base, status: task.stuckStatus, updated_at: at(0) };
    const latency = task.latencyMs;
    if (elapsed < latency / 4) return { ...base, status: 'waiting', updated_at: at(0) };
    if (elapsed < latency / 2) return { ...base, status: 'pending', updated_at: at(latency / 4) };
    if (elapsed < latency || task.doneAt === undefined) return { ...base, status: 'running', updated_at: at(latency / 2) };
    const updatedAt = at(Math.max(latency, task.doneAt - task.createdAt));
    if (task.failure !== undefined) {
      return { ...base, status: 'failed', updated_at: updatedAt, error: { type: 'internal_error', description: task.failure } };
    }
    const result = { url: this.store.signedUrl(task.key), path: task.key, s3_bucket_name: this.bucket };
    return { ...base, status: 'completed', updated_at: updatedAt, result };
  }

  /** Stops writing files and waits until every writer has let go of its file (before the folder is removed). */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.all(this.writing);
  }
}
