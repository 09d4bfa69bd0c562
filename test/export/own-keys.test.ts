import { describe, expect, it } from 'vitest';
import { parseExport } from '../../src/export/parse-export.js';
import type { ExportEntity } from '../../src/export/entities.js';

async function entities(text: string): Promise<ExportEntity[]> {
  const all: ExportEntity[] = [];
  for await (const entity of parseExport(
    (async function* () {
      yield Buffer.from(text);
    })(),
    'v1',
  ))
    all.push(entity);
  return all;
}

describe('v1 documents', () => {
  it('keep a custom key named __proto__ as an own property, as JSON.parse does', async () => {
    const channel = '{"cid":"t:a","id":"a","type":"t","created_at":"2024-01-01T00:00:00Z","x":[{"__proto__":null},{"__proto__":"s","b":1}]}';
    const [first] = await entities(`{"channel":${channel},"members":[],"messages":[]}`);
    expect(JSON.stringify(first?.data)).toBe(JSON.stringify(JSON.parse(channel)));
  });
});
