import { describe, expect, it } from 'vitest';
import { ConfigError, ConnectorError, SystemError, TransientError, failureTypeOf } from '../src/errors.js';

describe('failureTypeOf', () => {
  it('maps each error class to its failure_type', () => {
    expect(failureTypeOf(new ConfigError('bad key'))).toBe('config_error');
    expect(failureTypeOf(new TransientError('try later'))).toBe('transient_error');
    expect(failureTypeOf(new SystemError('bug'))).toBe('system_error');
  });

  it('treats anything unexpected as a system error', () => {
    expect(failureTypeOf(new TypeError('x'))).toBe('system_error');
    expect(failureTypeOf('a string')).toBe('system_error');
  });

  it('keeps the cause and the context', () => {
    const cause = new Error('socket hang up');
    const error = new TransientError('export failed', { cause, context: { taskId: 't1', cids: ['messaging:a'] } });
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.name).toBe('TransientError');
    expect(error.cause).toBe(cause);
    expect(error.context).toEqual({ taskId: 't1', cids: ['messaging:a'] });
  });
});
