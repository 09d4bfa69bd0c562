// Regenerates integration_tests/expected_records.jsonl: the built CLI (npm run build first) reads the
// sample data set from an emulator with the sample settings, and a few records per stream are kept.
// Usage: npx tsx scripts/generate-expected-records.ts
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmulator } from '../emulator/index.js';
import { expectedRecordLines, integrationFile, integrationFilePath, SAMPLE_DATA_SET } from '../integration_tests/sample-data-set.js';
import type { RecordOf } from '../integration_tests/sample-data-set.js';

const DIST_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const OUTPUT = integrationFilePath('expected_records.jsonl');

const emulator = await startEmulator(SAMPLE_DATA_SET);
const dir = mkdtempSync(join(tmpdir(), 'expected-records-'));
try {
  const config = { ...integrationFile<Record<string, unknown>>('sample_config.json'), base_url: emulator.url };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const args = [DIST_MAIN, 'read', '--config', join(dir, 'config.json'), '--catalog', integrationFilePath('configured_catalog.json')];
  // Asynchronous on purpose: this process's event loop serves the emulator meanwhile.
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 30 });
  const records: RecordOf[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const message = JSON.parse(line) as { type: string; record?: RecordOf };
    if (message.type === 'RECORD' && message.record !== undefined) records.push({ stream: message.record.stream, data: message.record.data });
  }
  const lines = expectedRecordLines(records);
  writeFileSync(OUTPUT, `${lines.join('\n')}\n`);
  process.stdout.write(`${OUTPUT}: ${lines.length} records, chosen from ${records.length}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await emulator.close();
}
