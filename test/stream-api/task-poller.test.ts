import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SystemError, TransientError } from '../../src/errors.js';
import { StreamApiClient } from '../../src/stream-api/client.js';
import type { Task } from '../../src/stream-api/task.js';
import { pollTask } from '../../src/stream-api/task-poller.js';
import { sendJson, startServer } from './loopback-server.js';

function taskWith(status: string, extra: Partial<Task> = {}): Task {
  return { task_id: 't1', status, ...extra };
}

/** A getTask that answers the given tasks in turn (the last one forever) and records when it was called. */
function scripted(tasks: Task[]): { getTask: () => Promise<Task>; calls: number[] } {
  const calls: number[] = [];
  const started = Date.now();
  return {
    calls,
    getTask: () => {
      calls.push(Date.now() - started);
      return Promise.resolve(tasks[Math.min(calls.length - 1, tasks.length - 1)] as Task);
    },
  };
}

describe('pollTask', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('with no latency known, polls at the floor, then every half of the time the task has run, up to the cap', async () => {
    const { getTask, calls } = scripted([...Array<Task>(6).fill(taskWith('running')), taskWith('completed', { result: { url: 'http://x/f' } })]);
    const done = pollTask('t1', getTask, { pollIntervalMs: 1_000, maxPollIntervalMs: 3_000, timeoutMs: 60_000 });
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    const gaps = calls.map((at, index) => Math.round(at - (calls[index - 1] ?? 0)));
    expect(gaps).toEqual([1_000, 1_000, 1_000, 1_500, 2_250, 3_000, 3_000]);
  });

  it('polls first when earlier tasks took to complete, then every fifth of the time it has run', async () => {
    const { getTask, calls } = scripted([taskWith('running'), taskWith('running'), taskWith('completed', { result: { url: 'http://x/f' } })]);
    const done = pollTask('t1', getTask, { pollIntervalMs: 200, expectedLatencyMs: () => 10_000, timeoutMs: 60_000 });
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    expect(calls.map(Math.round)).toEqual([10_000, 12_000, 14_400]);
  });

  it('returns the completed task with its download URL', async () => {
    const { getTask } = scripted([
      taskWith('waiting', { result: null }),
      taskWith('pending'),
      taskWith('running'),
      taskWith('completed', { result: { url: 'http://files/export.jsonl', path: 'p' } }),
    ]);
    const polls: string[] = [];
    const done = pollTask('t1', getTask, { pollIntervalMs: 10, timeoutMs: 10_000, onPoll: (task) => polls.push(task.status) });
    await vi.advanceTimersByTimeAsync(1_000);
    const task = await done;
    expect(task.result.url).toBe('http://files/export.jsonl');
    expect(polls).toEqual(['waiting', 'pending', 'running', 'completed']);
  });

  it('makes a failed task a TransientError carrying Stream error and the channels', async () => {
    const { getTask } = scripted([taskWith('running'), taskWith('failed', { error: { type: 'export_error', description: 'too many messages' } })]);
    const done = pollTask('t1', getTask, { pollIntervalMs: 10, timeoutMs: 10_000, context: { cids: ['messaging:a', 'team:b'] } }).catch(
      (caught: unknown) => caught,
    );
    await vi.advanceTimersByTimeAsync(1_000);
    const error = await done;
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).message).toContain('export_error: too many messages');
    expect((error as TransientError).message).toContain('messaging:a, team:b');
    expect((error as TransientError).context).toMatchObject({ taskId: 't1', cids: ['messaging:a', 'team:b'], taskError: { type: 'export_error' } });
  });

  it('gives up after the timeout with a TransientError naming the task and its channels', async () => {
    const { getTask, calls } = scripted([taskWith('running')]);
    const done = pollTask('t1', getTask, { pollIntervalMs: 1_000, maxPollIntervalMs: 5_000, timeoutMs: 30_000, context: { cids: ['messaging:slow'] } }).catch(
      (caught: unknown) => caught,
    );
    await vi.advanceTimersByTimeAsync(29_999);
    const pollsBefore = calls.length;
    await vi.advanceTimersByTimeAsync(1);
    const error = await done;
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).message).toMatch(/task t1 \(channels messaging:slow\) did not finish within 0\.5 min \(last status: running\)/);
    expect(calls.length).toBe(pollsBefore + 1);
    expect(calls.at(-1)).toBe(30_000);
  });

  it('makes a completed task without a URL a SystemError', async () => {
    const { getTask } = scripted([taskWith('completed', { result: {} })]);
    const done = pollTask('t1', getTask, { pollIntervalMs: 10, timeoutMs: 1_000 }).catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(10);
    expect(await done).toBeInstanceOf(SystemError);
  });

  it('keeps polling through an unknown status and logs it once', async () => {
    const { getTask } = scripted([taskWith('queued'), taskWith('queued'), taskWith('completed', { result: { url: 'http://f' } })]);
    const logs: string[] = [];
    const done = pollTask('t1', getTask, { pollIntervalMs: 10, timeoutMs: 1_000 }, (level, message) => void logs.push(`${level} ${message}`));
    await vi.advanceTimersByTimeAsync(100);
    await done;
    expect(logs).toEqual([expect.stringMatching(/^WARN .*"queued"/)]);
  });

  it('fails a task whose status stays unknown for 10 min by default, counted from its first poll, naming the status', async () => {
    const { getTask, calls } = scripted([taskWith('running'), taskWith('queued')]);
    const logs: string[] = [];
    let settled = false;
    const done = pollTask(
      't1',
      getTask,
      { pollIntervalMs: 1_000, maxPollIntervalMs: 60_000, timeoutMs: 120 * 60_000, context: { cids: ['messaging:a'] } },
      (level, message) => void logs.push(`${level} ${message}`),
    )
      .catch((caught: unknown) => caught)
      .finally(() => (settled = true));
    const firstUnknown = 2_000;
    await vi.advanceTimersByTimeAsync(firstUnknown + 10 * 60_000 - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await done;
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).message).toMatch(
      /^Export task t1 \(channels messaging:a\) has had status "queued", unknown to the connector, for 10 min: /,
    );
    expect((error as TransientError).context).toMatchObject({ taskId: 't1', cids: ['messaging:a'], taskStatus: 'queued' });
    expect(calls[1]).toBe(firstUnknown);
    expect(calls.at(-1)).toBe(firstUnknown + 10 * 60_000);
    expect(logs).toEqual([expect.stringMatching(/^WARN Export task t1 has status "queued", unknown to the connector; polling on for up to 10 min$/)]);
  });

  it('starts counting the unknown status again when a known pending status comes back', async () => {
    const queued = taskWith('queued');
    const { getTask } = scripted([
      queued,
      queued,
      queued,
      queued,
      taskWith('running'),
      queued,
      queued,
      queued,
      queued,
      taskWith('completed', { result: { url: 'http://f' } }),
    ]);
    const logs: string[] = [];
    const done = pollTask(
      't1',
      getTask,
      { pollIntervalMs: 1_000, maxPollIntervalMs: 1_000, timeoutMs: 60_000, unknownStatusTimeoutMs: 5_000 },
      (level, message) => void logs.push(`${level} ${message}`),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await done).status).toBe('completed');
    expect(logs).toHaveLength(1);
  });

  it('stops at once when the signal aborts, leaving no timer behind', async () => {
    const { getTask, calls } = scripted([taskWith('running')]);
    const controller = new AbortController();
    const done = pollTask('t1', getTask, { pollIntervalMs: 10_000, timeoutMs: 60_000, signal: controller.signal }).catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(10_000);
    controller.abort(new Error('cancelled'));
    expect(await done).toEqual(new Error('cancelled'));
    expect(vi.getTimerCount()).toBe(0);
    expect(calls).toHaveLength(1);
  });
});

describe('StreamApiClient.waitForTask', () => {
  it('polls GET /tasks/{id} on Stream until the task completes', async () => {
    const statuses = ['waiting', 'pending', 'running', 'completed'];
    const server = await startServer((request, response, index) => {
      const status = statuses[Math.min(index, statuses.length - 1)] as string;
      sendJson(response, 200, {
        task_id: request.url.pathname.split('/').at(-1),
        status,
        created_at: '2025-01-23T13:05:35.310709Z',
        updated_at: '2025-01-23T13:05:35.310709Z',
        duration: '0.5ms',
        ...(status === 'completed' ? { result: { url: 'http://127.0.0.1:1/exports/file.jsonl' } } : {}),
      });
    });
    const client = new StreamApiClient({ apiKey: 'k', apiSecret: 's', baseUrl: server.url });
    try {
      const task = await client.waitForTask('task-7', { pollIntervalMs: 5, maxPollIntervalMs: 10, timeoutMs: 5_000 });
      expect(task).toMatchObject({ task_id: 'task-7', status: 'completed', result: { url: 'http://127.0.0.1:1/exports/file.jsonl' } });
      expect(server.requests.map((request) => request.url.pathname)).toEqual(Array(4).fill('/tasks/task-7'));
    } finally {
      await client.close();
      await server.close();
    }
  });
});
