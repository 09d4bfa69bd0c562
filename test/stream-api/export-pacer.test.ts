import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExportPacer } from '../../src/stream-api/export-pacer.js';

afterEach(() => vi.useRealTimers());

describe('ExportPacer', () => {
  it('lets `perMinute` creations through at once, then waits for the oldest to leave the minute', async () => {
    vi.useFakeTimers({ now: 0 });
    const pacer = new ExportPacer(3);
    const started: number[] = [];
    const all = Promise.all(
      [1, 2, 3, 4].map(async () => {
        await pacer.acquire();
        started.push(Date.now());
      }),
    );
    await vi.advanceTimersByTimeAsync(60_000);
    await all;
    expect(started).toEqual([0, 0, 0, 60_000]);
  });

  it('spreads the requests left over the rest of the window when X-RateLimit-Remaining runs low', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const pacer = new ExportPacer(30);
    pacer.observe({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(1_700_000_000 + 40) });
    let at = 0;
    const next = pacer.acquire().then(() => (at = Date.now()));
    await vi.advanceTimersByTimeAsync(40_000);
    await next;
    expect(at - 1_700_000_000_000).toBe(10_000);
  });

  it('ignores a comfortable or unreadable quota', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const pacer = new ExportPacer(30);
    pacer.observe({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '40', 'x-ratelimit-reset': '1040' });
    pacer.observe({ 'x-ratelimit-remaining': 'lots' });
    await pacer.acquire();
    expect(Date.now()).toBe(1_000_000);
  });

  it('stops waiting when its signal aborts', async () => {
    const pacer = new ExportPacer(1);
    await pacer.acquire();
    const controller = new AbortController();
    const waiting = pacer.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
