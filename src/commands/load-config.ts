import { parseConfig, unknownConfigKeys } from '../config.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { readJsonFile } from '../protocol/json-file.js';
import type { MessageWriter } from '../protocol/writer.js';

/**
 * Reads and validates the config file. The secret is handed to the writer before anything is
 * validated, so not even an error message about the config can print it.
 */
export async function loadConfig(path: string, writer: Pick<MessageWriter, 'addSecret' | 'log'>): Promise<Config> {
  const raw = await readJsonFile(path, 'config');
  if (raw === undefined) throw new ConfigError(`The config file ${path} is empty`);
  const secret = (raw as { api_secret?: unknown } | null)?.api_secret;
  if (typeof secret === 'string' || typeof secret === 'number') writer.addSecret(String(secret));
  const unknown = unknownConfigKeys(raw);
  if (unknown.length > 0) await writer.log('WARN', `The config has keys this source does not know; they are ignored: ${unknown.join(', ')}`);
  return parseConfig(raw);
}
