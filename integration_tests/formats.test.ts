import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { Emulator, EmulatorOptions } from '../emulator/index.js';
import { ensureBuilt } from '../test/helpers/build.js';
import { catalogOf, type Config, configFor, expectCompleteRead, groundTruthKeys, read, SMALL_DATA_SET, STREAMS } from './harness.js';

const cases: Array<[string, EmulatorOptions, Config]> = [
  ['export_format v1 (one JSON document)', {}, { export_format: 'v1' }],
  ['bare v2 lines (entities without {type, data})', { lineFormat: 'bare' }, {}],
  ['gzipped export files', { gzip: true }, {}],
];

describe('export formats: every one reads the same ground truth', () => {
  const emulators: Emulator[] = [];
  afterAll(() => Promise.all(emulators.map((emulator) => emulator.close())));

  for (const [name, emulatorOptions, configOptions] of cases) {
    it(
      name,
      async () => {
        await ensureBuilt();
        const emulator = await startEmulator({ ...SMALL_DATA_SET, channels: 8, ...emulatorOptions });
        emulators.push(emulator);
        const result = await read({ config: configFor(emulator, { channels_per_export: 3, ...configOptions }), catalog: catalogOf() });
        expectCompleteRead(result, STREAMS);
        for (const stream of STREAMS) expect(result.keys(stream), stream).toEqual(groundTruthKeys(emulator, stream));
        const versions = emulator
          .requests()
          .filter((request) => request.endpoint === 'ExportChannels')
          .map((request) => (request.body as { version?: string }).version);
        expect(new Set(versions)).toEqual(new Set([configOptions.export_format ?? 'v2']));
      },
      120_000,
    );
  }
});

describe('a v2 export without reaction lines', () => {
  it('reads every other stream and says in a WARN that the reactions inside messages were not written', async () => {
    await ensureBuilt();
    const emulator = await startEmulator({ ...SMALL_DATA_SET, channels: 4, reactionLines: false });
    try {
      const result = await read({ config: configFor(emulator, { channels_per_export: 2 }), catalog: catalogOf() });
      expectCompleteRead(result, STREAMS);
      expect(result.keys('reactions')).toEqual([]);
      expect(result.keys('messages')).toEqual(groundTruthKeys(emulator, 'messages'));
      const warnings = result.byType('LOG').filter((message) => message.log.level === 'WARN' && /no reaction lines/.test(message.log.message));
      expect(warnings).toHaveLength(2);
      expect(warnings[0]?.log.message).toMatch(/\d+ message\(s\) have latest_reactions .* export_format v1/);
    } finally {
      await emulator.close();
    }
  }, 120_000);
});
