import { describe, expect, it } from 'vitest';
import { EndpointSpacing } from '../../src/stream-api/endpoint-spacing.js';
import { lookupChunks } from '../../src/stream-api/users.js';

describe('EndpointSpacing', () => {
  it('spaces each endpoint under its per-second limit (per-minute / 30) from the first request, as Stream documents it', () => {
    const spacing = new EndpointSpacing();
    expect(spacing.gapMs('ExportChannels')).toBe(501);
    expect(spacing.gapMs('QueryUsers')).toBe(32);
    expect(spacing.gapMs('QueryChannels')).toBe(5);
    expect(spacing.gapMs('GetTask')).toBe(101);
  });

  it('takes the limit an answer gives, and a share of it for an endpoint that has one', () => {
    const spacing = new EndpointSpacing({ QueryUsers: 0.5 });
    expect(spacing.gapMs('QueryUsers')).toBe(121);
    spacing.observe('QueryUsers', { 'x-ratelimit-limit': '600, 600' });
    expect(spacing.gapMs('QueryUsers')).toBe(201);
  });

  it('books slots one after another: the third of three calls at once waits two gaps', async () => {
    let now = 0;
    const spacing = new EndpointSpacing({}, () => now);
    const started = performance.now();
    await Promise.all([spacing.take('GetTask'), spacing.take('GetTask'), spacing.take('GetTask')]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    now = 10_000;
    const again = performance.now();
    await spacing.take('GetTask');
    expect(performance.now() - again).toBeLessThan(50);
  });
});

describe('lookupChunks', () => {
  it('splits a lookup so no payload passes 7,000 encoded characters, whatever the ids', () => {
    const long = Array.from({ length: 100 }, (_, index) => `${'ü'.repeat(120)}-${index}`);
    const chunks = lookupChunks(long);
    expect(chunks.flat()).toEqual(long);
    for (const chunk of chunks) expect(encodeURIComponent(JSON.stringify({ filter_conditions: { id: { $in: chunk } } })).length).toBeLessThan(7_000);
    expect(lookupChunks(['a', 'b'])).toEqual([['a', 'b']]);
  });
});
