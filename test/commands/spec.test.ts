import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { specification } from '../../src/config.js';
import { REPO_ROOT, ensureBuilt } from '../helpers/build.js';
import { runCli } from '../helpers/cli.js';

const SPEC_JSON = join(REPO_ROOT, 'spec.json');

beforeAll(ensureBuilt, 120_000);

describe('spec', () => {
  it('spec.json is exactly what the config schema generates (run `npm run generate` after changing it)', () => {
    expect(readFileSync(SPEC_JSON, 'utf8')).toBe(`${JSON.stringify(specification(), null, 2)}\n`);
  });

  it('prints exactly one SPEC, equal to spec.json, and exits 0', async () => {
    const result = await runCli(['spec']);
    expect(result.exitCode).toBe(0);
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]!.type).toBe('SPEC');
    expect(result.messages[0]!.spec).toEqual(JSON.parse(readFileSync(SPEC_JSON, 'utf8')));
    expect(result.stdout.split('\n')).toHaveLength(2);
  });
});
