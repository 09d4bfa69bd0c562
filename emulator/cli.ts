import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { startEmulator } from './index.js';

// `npm run emulator -- [options]`: the first stdout line is {"url","api_key","api_secret"}; serves until
// SIGTERM or SIGINT, then closes and exits 0. Anything else goes to stderr.

const argv = yargs(hideBin(process.argv))
  .scriptName('emulator')
  .usage('$0 [options]: a local Stream Chat API for the connector (see emulator/README.md)')
  .options({
    port: { type: 'number', default: 0, describe: 'API port on 127.0.0.1 (0: a free port)' },
    'download-port': { type: 'number', default: 0, describe: 'download server port (0: a free port)' },
    'api-key': { type: 'string', describe: 'app API key (default: a fixed demo key)' },
    'api-secret': { type: 'string', describe: 'app API secret (default: a fixed demo secret)' },
    seed: { type: 'number', default: 42 },
    channels: { type: 'number', default: 10 },
    'messages-per-channel': { type: 'number', default: 100 },
    users: { type: 'number', default: 25, describe: 'number of users channels draw their members from' },
    'lonely-users': { type: 'number', default: 5, describe: 'more users, members of no channel' },
    'channel-types': { type: 'string', default: 'messaging,livestream,team', describe: 'comma-separated' },
    'task-latency-ms': { type: 'number', default: 200 },
    'line-format': { choices: ['wrapped', 'bare'] as const, default: 'wrapped' as const },
    'custom-data': { choices: ['flat', 'nested'] as const, default: 'flat' as const, describe: "nested: in a `custom` object, as Stream's OpenAPI spec says" },
    gzip: { type: 'boolean', default: false, describe: 'gzip channel export files' },
    'url-ttl-ms': { type: 'number', default: 86_400_000, describe: 'signed download URL lifetime' },
    'max-channels-per-export': { type: 'number', default: 100 },
    'clock-offset-ms': { type: 'number', default: 0, describe: "the emulator's clock minus the host's (negative: behind)" },
    'channels-created-at': { type: 'string', describe: 'one RFC3339 created_at for every generated channel' },
    'user-id-style': { choices: ['plain', 'mixed'] as const, default: 'plain' as const, describe: 'mixed: ids in mixed case with - _ .' },
    'imported-with-message': { type: 'number', default: 0, describe: 'bulk-imported channels with one message each' },
    'imported-without-message': { type: 'number', default: 0, describe: 'bulk-imported channels with no message' },
    'imported-created-at': { type: 'string', describe: 'RFC3339 created_at of the imported channels' },
    'imported-updated-at': { type: 'string', describe: 'RFC3339 updated_at of the imported channels without message' },
    'imported-member-pool': { type: 'number', describe: 'imported channels draw their members from the first N users' },
    'short-pages': { type: 'boolean', default: true, describe: 'some listing answers come short before the end (--no-short-pages: never)' },
    'budget-limit-ms': { type: 'number', default: 60_000, describe: 'API budget of query channels, ms of database time per sliding minute' },
    'budget-own-users-share': { type: 'number', default: 0, describe: "fraction (0-1) of the budget the app's own users spend" },
    'per-second-limits': { type: 'boolean', default: true, describe: 'enforce per-second limits (--no-per-second-limits: off)' },
    'per-minute-limits': { type: 'boolean', default: true, describe: 'enforce per-minute limits (--no-per-minute-limits: off)' },
    'rate-limit': { type: 'number', default: 0, describe: 'answer the next N API requests with 429' },
    'rate-limit-reset': { type: 'number', default: 1, describe: 'seconds until X-RateLimit-Reset on those 429s' },
    'rate-limit-text': { type: 'boolean', default: false, describe: 'send the 429s as plain text, not Stream JSON (code 9)' },
    'retry-after': { type: 'number', describe: 'add Retry-After: S (seconds) to those 429s' },
    'server-errors': { type: 'number', default: 0, describe: 'answer the next N API requests with a 5xx' },
    'server-error-status': { type: 'number', default: 500 },
    'cut-download': { type: 'number', describe: 'cut download connections after BYTES bytes of body' },
    'cut-download-count': { type: 'number', default: 1 },
    'expire-urls': { type: 'number', default: 0, describe: 'answer the next N downloads with 403 (expired)' },
    'fail-tasks': { type: 'number', default: 0, describe: 'the next N tasks end failed' },
    'slow-tasks': { type: 'number', default: 0, describe: 'extra task latency in ms' },
    verbose: { type: 'boolean', default: false, describe: 'log each request to stderr' },
  })
  .strict()
  .help()
  .parseSync();

const emulator = await startEmulator({
  port: argv.port,
  downloadPort: argv['download-port'],
  apiKey: argv['api-key'],
  apiSecret: argv['api-secret'],
  seed: argv.seed,
  channels: argv.channels,
  messagesPerChannel: argv['messages-per-channel'],
  usersCount: argv.users,
  lonelyUsers: argv['lonely-users'],
  channelTypes: argv['channel-types']
    .split(',')
    .map((type) => type.trim())
    .filter((type) => type !== ''),
  taskLatencyMs: argv['task-latency-ms'],
  lineFormat: argv['line-format'],
  customData: argv['custom-data'],
  gzip: argv.gzip,
  urlTtlMs: argv['url-ttl-ms'],
  maxChannelsPerExport: argv['max-channels-per-export'],
  clockOffsetMs: argv['clock-offset-ms'],
  channelsCreatedAt: argv['channels-created-at'],
  userIdStyle: argv['user-id-style'],
  importedChannels:
    argv['imported-with-message'] + argv['imported-without-message'] > 0
      ? {
          withMessage: argv['imported-with-message'],
          withoutMessage: argv['imported-without-message'],
          createdAt: argv['imported-created-at'],
          updatedAt: argv['imported-updated-at'],
          memberPool: argv['imported-member-pool'],
        }
      : undefined,
  shortPages: argv['short-pages'],
  budget: { limitMs: argv['budget-limit-ms'], ownUsersShare: argv['budget-own-users-share'] },
  rateLimits: { perSecond: argv['per-second-limits'], perMinute: argv['per-minute-limits'] },
  onRequest: argv.verbose
    ? (record) => process.stderr.write(`${record.at.toISOString()} ${record.method} ${record.path} ${record.endpoint} → ${record.status}\n`)
    : undefined,
});

const { faults } = emulator;
faults.rateLimit({
  count: argv['rate-limit'],
  resetInSeconds: argv['rate-limit-reset'],
  body: argv['rate-limit-text'] ? 'text' : 'json',
  retryAfterSeconds: argv['retry-after'],
});
faults.serverErrors({ count: argv['server-errors'], status: argv['server-error-status'] });
if (argv['cut-download'] !== undefined) faults.cutDownload({ afterBytes: argv['cut-download'], count: argv['cut-download-count'] });
faults.expireUrls({ count: argv['expire-urls'] });
faults.failTasks({ count: argv['fail-tasks'] });
faults.slowTasks(argv['slow-tasks']);

process.stdout.write(`${JSON.stringify({ url: emulator.url, api_key: emulator.apiKey, api_secret: emulator.apiSecret })}\n`);
process.stderr.write(`emulator: API ${emulator.url}, downloads ${emulator.downloadUrl}; stop with Ctrl-C or SIGTERM\n`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`emulator: ${signal}, closing\n`);
  await emulator.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
