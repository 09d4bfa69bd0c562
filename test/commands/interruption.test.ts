import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { Interruption } from '../../src/commands/interruption.js';
import { TransientError } from '../../src/errors.js';
import { MessageWriter } from '../../src/protocol/writer.js';

function setup(graceMs = 5000) {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const writer = new MessageWriter(out);
  const events = new EventEmitter();
  const exit = vi.fn();
  const interruption = new Interruption({ writer, exit, events, graceMs }).start();
  return { writer, events, exit, interruption, lines };
}

describe('Interruption', () => {
  it('aborts with a transient error naming SIGTERM and asks for exit code 143', () => {
    const { events, interruption, exit } = setup();
    expect(interruption.signal.aborted).toBe(false);
    events.emit('SIGTERM', 'SIGTERM');
    expect(interruption.signal.aborted).toBe(true);
    expect(interruption.signal.reason).toBeInstanceOf(TransientError);
    expect(interruption.error?.message).toContain('interrupted by SIGTERM');
    expect(interruption.exitCode).toBe(143);
    expect(exit).not.toHaveBeenCalled();
    interruption.stop();
  });

  it('asks for exit code 130 on SIGINT', () => {
    const { events, interruption } = setup();
    events.emit('SIGINT', 'SIGINT');
    expect(interruption.error?.message).toContain('interrupted by SIGINT');
    expect(interruption.exitCode).toBe(130);
    interruption.stop();
  });

  it('lets no record or state out after the signal', async () => {
    const { events, interruption, writer, lines } = setup();
    void writer.record('users', { id: 'before' });
    events.emit('SIGTERM', 'SIGTERM');
    void writer.record('users', { id: 'after' });
    void writer.state('users', { updated_at: 'x' });
    void writer.log('INFO', 'stopping');
    await writer.flush();
    expect(lines.map((line) => JSON.parse(line).type)).toEqual(['RECORD', 'LOG']);
    interruption.stop();
  });

  it('ends the grace period graceMs after the first signal', async () => {
    vi.useFakeTimers();
    try {
      const { events, interruption } = setup(5000);
      let over = false;
      void interruption.deadline.then(() => {
        over = true;
      });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(over).toBe(false);
      events.emit('SIGTERM', 'SIGTERM');
      await vi.advanceTimersByTimeAsync(4900);
      expect(over).toBe(false);
      await vi.advanceTimersByTimeAsync(200);
      expect(over).toBe(true);
      interruption.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('exits at once on a second signal', () => {
    const { events, interruption, exit } = setup();
    events.emit('SIGTERM', 'SIGTERM');
    events.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
    interruption.stop();
  });

  it('lets go of the signals when stopped', () => {
    const { events, interruption } = setup();
    expect(events.listenerCount('SIGTERM')).toBe(1);
    expect(events.listenerCount('SIGINT')).toBe(1);
    interruption.stop();
    expect(events.listenerCount('SIGTERM')).toBe(0);
    expect(events.listenerCount('SIGINT')).toBe(0);
  });
});
