import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Checkpoints } from '../../src/sync/checkpoints.js';
import { MessageWriter } from '../../src/protocol/writer.js';
import type { StreamName } from '../../src/records/index.js';

function setup(stateOf: (name: StreamName, final: boolean) => Record<string, unknown>) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const writer = new MessageWriter(out);
  let clock = 0;
  const checkpoints = new Checkpoints(writer, ['messages', 'users'], stateOf, () => clock);
  const states = async () => {
    await writer.flush();
    return text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as {
            type: string;
            state?: { stream: { stream_descriptor: { name: string }; stream_state: unknown }; sourceStats: { recordCount: number } };
          },
      )
      .filter((message) => message.type === 'STATE')
      .map((message) => ({ name: message.state!.stream.stream_descriptor.name, count: message.state!.sourceStats.recordCount }));
  };
  return { checkpoints, states, advance: (ms: number) => (clock += ms) };
}

describe('Checkpoints', () => {
  it('prints a state when it changed or records came since, never the same one twice in a row', async () => {
    let cursor = 'a';
    const { checkpoints, states, advance } = setup((name) => (name === 'messages' ? { cursor } : {}));
    await checkpoints.save();
    advance(1_000);
    await checkpoints.save();
    void checkpoints.record('users', { id: 'u1' });
    advance(1_000);
    await checkpoints.save();
    cursor = 'b';
    advance(1_000);
    await checkpoints.save({ final: true, force: true });
    expect(await states()).toEqual([
      { name: 'messages', count: 0 },
      { name: 'users', count: 0 },
      { name: 'users', count: 1 },
      { name: 'messages', count: 0 },
    ]);
  });

  it('spaces out large states between batches, but always prints a forced save', async () => {
    const big = { cursors: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`messaging:channel-${i}`, `2026-01-01T00:00:00.000Z#${i}`])) };
    let version = 0;
    const { checkpoints, states, advance } = setup((name) => (name === 'messages' ? { ...big, version } : {}));
    await checkpoints.save();
    version += 1;
    advance(1_000);
    await checkpoints.save();
    expect((await states()).filter((state) => state.name === 'messages')).toHaveLength(1);
    advance(60_000);
    await checkpoints.save();
    version += 1;
    await checkpoints.save({ final: true, force: true });
    expect((await states()).filter((state) => state.name === 'messages')).toHaveLength(3);
  });

  it('re-prints the states after four silent minutes, changed or not', async () => {
    const { checkpoints, states } = setup(() => ({ cursor: 'x' }));
    await checkpoints.save();
    for (let check = 0; check < 3; check += 1) void checkpoints.heartbeat();
    expect(await states()).toHaveLength(2);
    void checkpoints.heartbeat();
    expect(await states()).toHaveLength(4);
    void checkpoints.record('messages', { id: 'm' });
    void checkpoints.heartbeat();
    expect(await states()).toHaveLength(4);
    for (let check = 0; check < 4; check += 1) void checkpoints.heartbeat();
    expect((await states()).slice(4)).toEqual([
      { name: 'messages', count: 1 },
      { name: 'users', count: 0 },
    ]);
  });

  it('hands a heartbeat that cannot write to its caller instead of dropping the rejection', async () => {
    const failing = new Checkpoints(
      {
        record: () => undefined,
        state: () => Promise.reject(new Error('stdout closed')),
        log: () => undefined,
        streamStatus: () => undefined,
        estimate: () => undefined,
      },
      ['messages'],
      () => ({ cursor: 'x' }),
    );
    for (let check = 0; check < 3; check += 1) expect(failing.heartbeat()).toBeUndefined();
    await expect(failing.heartbeat()).rejects.toThrow('stdout closed');
  });
  it('serialises saves: a heartbeat during the final save (stdout backpressured) prints nothing after the final states', async () => {
    const printed: Array<{ name: string; final: unknown }> = [];
    let release = () => {};
    const full = new Promise<void>((resolve) => (release = resolve));
    const checkpoints = new Checkpoints(
      {
        record: () => undefined,
        state: async (name, state) => {
          printed.push({ name, final: state.final });
          await full;
        },
        log: () => undefined,
        streamStatus: () => undefined,
        estimate: () => undefined,
      },
      ['messages', 'users'],
      (_name, final) => ({ final }),
    );
    const final = checkpoints.save({ final: true, force: true });
    for (let check = 0; check < 3; check += 1) void checkpoints.heartbeat();
    const heartbeat = checkpoints.heartbeat();
    const later = checkpoints.save({ force: true });
    release();
    await Promise.all([final, heartbeat, later]);
    expect(printed).toEqual([
      { name: 'messages', final: true },
      { name: 'users', final: true },
    ]);
  });
});
