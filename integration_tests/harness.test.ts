// The harness's own checks must be able to fail, or the suite proves nothing.
import { describe, expect, it } from 'vitest';
import { parseLikePython, recordValidators, sameCursorShape, sequentialSliceCheckpoints, type StateMessage } from './harness.js';

describe('harness checks', () => {
  const validators = recordValidators([
    {
      name: 'things',
      json_schema: {
        type: 'object',
        properties: { count: { type: ['integer', 'null'] }, ratio: { type: 'number' }, at: { type: ['string', 'null'], format: 'date-time' } },
      },
    },
  ]);
  const valid = (line: string) => validators.get('things')!(parseLikePython(line));

  it('strict integers: 1.0 and 1e3 are no integer, as in Python; they remain numbers', () => {
    expect(valid('{"count":3,"ratio":1.0}')).toBe(true);
    expect(valid('{"count":1e3,"ratio":1e3}')).toBe(false);
    expect(valid('{"count":3.0}')).toBe(false);
    expect(valid('{"count":3.5}')).toBe(false);
    expect(valid('{"count":null,"ratio":-2.0E2}')).toBe(true);
  });

  it('strict integers leave numbers inside strings alone', () => {
    expect(parseLikePython('{"text":"a 1.0 \\"2.0\\" b","count":2}')).toEqual({ text: 'a 1.0 "2.0" b', count: 2 });
  });

  it('date-time needs an RFC 3339 date, time and offset', () => {
    expect(valid('{"at":"2024-12-01T10:00:00.123456Z"}')).toBe(true);
    expect(valid('{"at":"2024-12-01T10:00:00+02:00"}')).toBe(true);
    expect(valid('{"at":"2024-12-01T10:00:00"}')).toBe(false);
    expect(valid('{"at":"2024-12-01"}')).toBe(false);
    expect(valid('{"at":"1733047200"}')).toBe(false);
  });

  it("cursor shapes compare as CAT's abnormal-state test does", () => {
    expect(sameCursorShape('2999-01-01T00:00:00Z', '2024-12-19T10:29:42Z')).toBe(true);
    expect(sameCursorShape('2999-01-01T00:00:00.000Z', '2999-01-01T00:00:00Z')).toBe(false);
    expect(sameCursorShape('2999-01-01 00:00:00Z', '2999-01-01T00:00:00Z')).toBe(false);
  });

  const state = (streamState: Record<string, unknown>, recordCount: number): StateMessage => ({
    type: 'STREAM',
    stream: { stream_descriptor: { name: 'messages' }, stream_state: streamState },
    sourceStats: { recordCount },
  });

  it('sequential slices: distinct states, the first and last skipped, each expecting the records after it', () => {
    const states = [1, 2, 3, 4, 5, 6].map((n) => state({ cursors: { [`c${n}`]: 't' } }, 10));
    const checkpoints = sequentialSliceCheckpoints(states);
    expect(checkpoints.map((checkpoint) => checkpoint.expected)).toEqual([40, 30, 20, 10]);
    expect(checkpoints[0]!.input).toEqual([{ type: 'STREAM', stream: { stream_descriptor: { name: 'messages' }, stream_state: { cursors: { c2: 't' } } } }]);
  });

  it('sequential slices: identical consecutive states merge, zero counts drop, an empty state is no input', () => {
    const states = [state({}, 3), state({}, 3), state({}, 2), state({ updated_at: 't' }, 0)];
    expect(sequentialSliceCheckpoints(states)).toEqual([{ input: [], expected: 0 }]);
    expect(sequentialSliceCheckpoints([state({ a: 1 }, 0)])).toEqual([]);
  });
});
