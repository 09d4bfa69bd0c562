// The users stream from query users: every user of the app, kept current, and every user a written
// record names joined by a users row, deleted or not.
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { catalogOf, configFor, emulatorPerTest, expectCompleteRead, keyOf, pastTheSecond, read, STREAMS, type Read } from './harness.js';

const emulatorWith = emulatorPerTest();

const userKeys = (ids: Iterable<unknown>) => [...ids].map((id) => keyOf('users', { id })).sort();

/** What a read cost the emulator. */
async function measured(emulator: Emulator, run: () => Promise<Read>) {
  const before = emulator.stats();
  const result = await run();
  const after = emulator.stats();
  return { result, exports: after.exportsCreated - before.exportsCreated, userCalls: after.queryUsers - before.queryUsers };
}

describe('users from query users', () => {
  it('a full sync writes every user of the app: users in no channel and deactivated users included', async () => {
    const emulator = await emulatorWith();
    const lonely = emulator.data.addUser({ name: 'Signed Up, Never Chatted' });
    const deactivated = emulator.data.deactivateUser(String(emulator.data.queryableUsers().at(-1)!.id));
    await pastTheSecond(emulator);
    const result = await read({ config: configFor(emulator), catalog: catalogOf(['users']) });
    expectCompleteRead(result, ['users']);
    expect(result.keys('users')).toEqual(userKeys(emulator.data.queryableUsers().map((user) => user.id)));
    expect(result.keys('users')).toContain(keyOf('users', lonely));
    expect(result.records('users').find((user) => user.id === deactivated.id)?.deactivated_at).toBe(deactivated.deactivated_at);
    expect(emulator.stats().exportsCreated).toBe(0);
  });

  it('after two renames and one sign-up, the next sync writes those three users and makes no channel export', async () => {
    const emulator = await emulatorWith();
    const config = configFor(emulator);
    const first = await read({ config, catalog: catalogOf() });
    expectCompleteRead(first, STREAMS);
    const [a, b] = emulator.data.queryableUsers();
    const changed = [emulator.data.updateUser(String(a!.id), { name: 'Renamed A' }), emulator.data.updateUser(String(b!.id), { name: 'Renamed B' })];
    const signUp = emulator.data.addUser({ name: 'New Here' });
    await pastTheSecond(emulator);
    const { result, exports } = await measured(emulator, () => read({ config, catalog: catalogOf(), state: first.nextState() }));
    expectCompleteRead(result, STREAMS);
    expect(result.keys('users')).toEqual(userKeys([...changed, signUp].map((user) => user.id)));
    expect(result.records('users').find((user) => user.id === a!.id)?.name).toBe('Renamed A');
    expect(exports).toBe(0);
  });

  it('a sync with no change makes one users call', async () => {
    const emulator = await emulatorWith();
    const config = configFor(emulator);
    const first = await read({ config, catalog: catalogOf() });
    const { result, userCalls, exports } = await measured(emulator, () => read({ config, catalog: catalogOf(), state: first.nextState() }));
    expectCompleteRead(result, STREAMS);
    expect(result.byType('RECORD')).toEqual([]);
    expect(userCalls).toBe(1);
    expect(exports).toBe(0);
  });

  it('a hard-deleted user named by messages still has a row, from the copy they embed', async () => {
    const emulator = await emulatorWith();
    const author = String((emulator.data.messages().next().value!.user as { id: string }).id);
    const copy = emulator.data.user(author);
    emulator.data.deleteUser(author, { hard: true });
    const result = await read({ config: configFor(emulator), catalog: catalogOf(['messages', 'members', 'users']) });
    expectCompleteRead(result, ['messages', 'members', 'users']);
    expect(result.records('users').find((user) => user.id === author)).toMatchObject({ id: author, name: copy?.name });
    const named = new Set([...result.records('messages').map((message) => message.user?.id), ...result.records('members').map((member) => member.user_id)]);
    const rows = new Set(result.records('users').map((user) => user.id));
    expect([...named].filter((id) => !rows.has(id))).toEqual([]);
  });

  it('an old config with user_ids still works: ignored, with a WARN', async () => {
    const emulator = await emulatorWith();
    const outsider = String(emulator.data.queryableUsers().at(-1)!.id);
    const result = await read({ config: configFor(emulator, { user_ids: [outsider] }), catalog: catalogOf(['users']) });
    expectCompleteRead(result, ['users']);
    expect(result.keys('users')).toContain(keyOf('users', { id: outsider }));
    expect(result.byType('LOG').some((message) => String(message.log.message).startsWith('user_ids is ignored'))).toBe(true);
    expect(emulator.stats().userExportsCreated).toBe(0);
  });
});
