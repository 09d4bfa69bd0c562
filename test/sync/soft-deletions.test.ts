import { describe, expect, it } from 'vitest';
import { markingSoftDeletions } from '../../src/sync/soft-deletions.js';
import type { SyncWriter } from '../../src/sync/sync-writer.js';

function recorder() {
  const written: Array<{ stream: string; data: Record<string, unknown>; json?: string }> = [];
  const writer: SyncWriter = {
    record: (stream, data, json) => {
      written.push(json === undefined ? { stream, data } : { stream, data, json: Buffer.from(json).toString() });
      return undefined;
    },
    state: () => undefined,
    log: () => undefined,
    streamStatus: () => undefined,
    estimate: () => undefined,
  };
  return { writer, written };
}

describe('markingSoftDeletions', () => {
  it('puts _ab_cdc_deleted_at = deleted_at in front of a soft-deleted message, channel or user, in its data and its JSON text', () => {
    const { writer, written } = recorder();
    const marking = markingSoftDeletions(writer);
    const data = { id: 'm1', type: 'deleted', deleted_at: '2024-01-02T00:00:00Z' };
    expect(marking.record('messages', data, Buffer.from(JSON.stringify(data)))).toBeUndefined();
    expect(marking.record('users', { id: 'u1', deleted_at: '2024-01-03T00:00:00Z' })).toBeUndefined();
    expect(written).toEqual([
      {
        stream: 'messages',
        data: { _ab_cdc_deleted_at: '2024-01-02T00:00:00Z', ...data },
        json: '{"_ab_cdc_deleted_at":"2024-01-02T00:00:00Z","id":"m1","type":"deleted","deleted_at":"2024-01-02T00:00:00Z"}',
      },
      { stream: 'users', data: { _ab_cdc_deleted_at: '2024-01-03T00:00:00Z', id: 'u1', deleted_at: '2024-01-03T00:00:00Z' } },
    ]);
    expect(JSON.parse(written[0]!.json!)).toEqual(written[0]!.data);
  });

  it('passes live records, and members and reactions, through untouched, the same objects and bytes', () => {
    const { writer, written } = recorder();
    const marking = markingSoftDeletions(writer);
    const live = { id: 'm2', deleted_at: null };
    const member = { cid: 'messaging:a', user_id: 'u1', deleted_at: '2024-01-02T00:00:00Z' };
    const json = Buffer.from(JSON.stringify(live));
    expect(marking.record('messages', live, json)).toBeUndefined();
    expect(marking.record('members', member)).toBeUndefined();
    expect(written[0]!.data).toBe(live);
    expect(written[0]!.json).toBe(JSON.stringify(live));
    expect(written[1]!.data).toBe(member);
  });

  it('writes the marker once, as deleted_at, when the record already has a field of that name', () => {
    const { writer, written } = recorder();
    const data = { _ab_cdc_deleted_at: 'custom', id: 'c', deleted_at: '2024-01-02T00:00:00Z' };
    expect(markingSoftDeletions(writer).record('channels', data, Buffer.from(JSON.stringify(data)))).toBeUndefined();
    expect(written).toEqual([{ stream: 'channels', data: { ...data, _ab_cdc_deleted_at: '2024-01-02T00:00:00Z' } }]);
  });

  it("keeps the writer's progress callback", () => {
    const { writer } = recorder();
    const calls: number[][] = [];
    const marking = markingSoftDeletions({ ...writer, exportsWritten: (done, planned) => void calls.push([done, planned]) });
    marking.exportsWritten?.(1, 2);
    expect(calls).toEqual([[1, 2]]);
  });
});
