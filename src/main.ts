#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { run } from './commands/run.js';

// Exit explicitly: run() has flushed stdout, and a sync cut short by a signal may still hold
// sockets or timers that would keep the process alive.
const args = hideBin(process.argv);
// `sync` speaks to people (a summary on stdout), the other commands speak the Airbyte protocol.
process.exit(await (args[0] === 'sync' ? (await import('./commands/sync.js')).sync(args) : run(args)));
