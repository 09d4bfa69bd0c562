import { describe, expect, it } from 'vitest';
import { StreamApiClient } from '../../src/stream-api/client.js';
import { ExportFlow } from '../../src/stream-api/export-flow.js';
import { sendJson, startServer, until } from './loopback-server.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let at = 0;
  return { now: () => at, advance: (ms) => (at += ms) };
}

describe('ExportFlow', () => {
  it('keeps pace × latency tasks in flight (Little’s law, with headroom), no bound of its own before a latency is known', () => {
    const time = clock();
    const flow = new ExportFlow({ perMinute: 60, now: time.now });
    expect(flow.limit()).toBe(Infinity);
    flow.taskCreated('a');
    time.advance(10_000);
    flow.taskCompleted({ task_id: 'a', status: 'completed' });
    // 1 a second × 10 s × 1.25, and 2 spare slots.
    expect(flow.limit()).toBe(15);
  });

  it('expects a task done after the shortest recent latency, by Stream’s own stamps when they are earlier than seen', () => {
    const time = clock();
    const flow = new ExportFlow({ perMinute: 60, now: time.now });
    flow.taskCreated('slow');
    flow.taskCreated('quick');
    time.advance(9_000);
    flow.taskCompleted({ task_id: 'quick', status: 'completed', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:07.500Z' });
    time.advance(3_000);
    flow.taskCompleted({ task_id: 'slow', status: 'completed' });
    expect(flow.expectedLatencyMs()).toBe(7_500);
    expect(flow.tasksInFlight).toBe(0);
  });

  it('after a refusal keeps under the tasks in flight then, and says so once', async () => {
    const flow = new ExportFlow({ perMinute: 60 });
    for (const id of ['a', 'b', 'c']) flow.taskCreated(id);
    expect(flow.refused()).toBe(true);
    expect(flow.limit()).toBe(3);
    flow.taskEnded('a');
    expect(flow.refused()).toBe(false);
    expect(flow.limit()).toBe(2);
    const done = flow.taskDone();
    flow.taskEnded('b');
    await done;
  });
});

describe('StreamApiClient.exportChannels refused for the tasks in flight', () => {
  it('keeps fewer tasks in flight (one WARN) and asks again once one of its tasks is done', async () => {
    let creations = 0;
    const server = await startServer((request, response) => {
      if (request.url.pathname === '/export_channels') {
        creations += 1;
        if (creations === 2) return sendJson(response, 400, { code: 4, message: 'ExportChannels failed with error: "too many export tasks in progress"' });
        return sendJson(response, 201, { task_id: `task-${creations}`, duration: '1ms' });
      }
      sendJson(response, 200, { task_id: 'task-1', status: 'completed', result: { url: 'http://127.0.0.1:1/f' } });
    });
    const logs: string[] = [];
    const client = new StreamApiClient({ apiKey: 'k', apiSecret: 's', baseUrl: server.url, onLog: (level, message) => void logs.push(`${level} ${message}`) });
    const options = { version: 'v2', include_truncated_messages: false, include_soft_deleted_channels: false } as const;
    try {
      expect(await client.exportChannels([{ type: 'messaging', id: 'a' }], options)).toBe('task-1');
      const second = client.exportChannels([{ type: 'messaging', id: 'b' }], options);
      // Exports are spaced under their per-second limit (2 a second): the second comes half a second on.
      await until(() => creations === 2);
      await client.waitForTask('task-1', { pollIntervalMs: 5, timeoutMs: 5_000 });
      expect(await second).toBe('task-3');
      expect(logs.filter((line) => line.startsWith('WARN'))).toEqual([
        expect.stringMatching(/^WARN Stream refused an export .* with 1 export task\(s\) in flight/),
      ]);
      expect(client.exportFlow.limit()).toBe(1);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
