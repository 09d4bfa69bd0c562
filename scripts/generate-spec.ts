// Writes spec.json from the config schema; a test fails when the committed file differs.
import { writeFileSync } from 'node:fs';
import { specification } from '../src/config.js';

const target = new URL('../spec.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(specification(), null, 2)}\n`);
console.error(`wrote ${target.pathname}`);
