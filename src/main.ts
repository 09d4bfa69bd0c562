#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { run } from './commands/run.js';

// Exit explicitly: run() has flushed stdout, and a sync cut short by a signal may still hold
// sockets or timers that would keep the process alive.
process.exit(await run(hideBin(process.argv)));
