import { expect } from 'vitest';

/** The error `action` throws, checked to be a `type`; fails the test when nothing is thrown. */
export function thrown<E extends Error>(action: () => unknown, type: new (...args: any[]) => E): E {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name} to be thrown`);
}
