import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleReport } from '../../src/local/console-report.js';

function output(isTTY: boolean) {
  const out = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, text: () => text };
}

describe('ConsoleReport', () => {
  it('on a terminal: one live line per stream with records, exports done/planned and rate', () => {
    let now = 0;
    const { out, text } = output(true);
    const report = new ConsoleReport({ out, streams: ['messages', 'users'], now: () => now, intervalMs: 60_000 });
    report.start();
    expect(report.renderLines()[0]).toContain('exports planning…');
    report.exportsWritten(0, 4);
    expect(report.renderLines()[0]).toContain('exports 0/4');
    // The log lines say it in words for people; the count comes from exportsWritten() alone.
    report.log('INFO', 'Export 3/9 written (channels a..b); 2500 record(s) so far');
    for (let n = 0; n < 2_500; n++) report.record('messages');
    now = 2_000;
    report.exportsWritten(1, 4);
    expect(report.renderLines()).toEqual([
      '  messages      2,500 records  ·  exports 1/4  ·  1,250 records/s',
      '  users             0 records  ·  exports 1/4',
    ]);
    report.streamStatus('users', 'RUNNING', new Date('2026-01-01T10:00:05Z'));
    expect(report.renderLines()[1]).toContain('rate limited until 10:00:05 UTC');
    report.stop();
    expect(text()).toContain('\u001b[2A\u001b[0J');
  });

  it('elsewhere: no live lines, only warnings and errors, with the secret masked', () => {
    const { out, text } = output(false);
    const report = new ConsoleReport({ out, streams: ['messages'] });
    report.addSecret('s3cr3t');
    report.start();
    report.record('messages');
    report.log('INFO', 'Planned 1 export(s)');
    report.log('WARN', 'Rate limited with key s3cr3t');
    report.log('ERROR', 'it broke');
    report.stop();
    expect(text()).toBe('warning: Rate limited with key ****\nerror: it broke\n');
  });
});
