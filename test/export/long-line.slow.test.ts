// One very long v2 line through the read path (bench/long-line.ts, in its own process so that its memory
// is its own), at two sizes: four times the bytes must cost about four times the time, not sixteen.
// Run with `npm run test:slow` or `npx vitest run --config vitest.slow.config.ts test/export/long-line.slow.test.ts`.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface LongLineRun {
  megabytes: number;
  records: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

function read(megabytes: number): LongLineRun {
  const output = execFileSync(process.execPath, ['--import', 'tsx', 'bench/long-line.ts', String(megabytes)], { cwd: ROOT, encoding: 'utf8' });
  const run = JSON.parse(output.trim().split('\n').at(-1) as string) as LongLineRun;
  console.log(JSON.stringify(run));
  return run;
}

/** The cheapest of a few runs: the machine may be shared, and interference only ever adds time. */
function cheapest(megabytes: number): LongLineRun {
  const runs = [read(megabytes), read(megabytes), read(megabytes)];
  return runs.reduce((best, run) => (run.cpuSeconds < best.cpuSeconds ? run : best));
}

describe('a long line', () => {
  it('costs time linear in its length, and under 300 MB of memory at 50 MB', () => {
    const quarter = cheapest(12.5);
    const whole = cheapest(50);
    expect(quarter.records).toBe(2);
    expect(whole.records).toBe(2);
    // Linear: about 4×. The quadratic splitter this replaced took 11× (2.1 s, then 24 s).
    expect(whole.cpuSeconds / quarter.cpuSeconds).toBeLessThan(7);
    expect(whole.peakRssMiB).toBeLessThan(300);
  });
});
