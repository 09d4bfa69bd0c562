import { parseConfig, unknownConfigKeys } from '../config.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { readJsonFile } from '../protocol/json-file.js';
import type { MessageWriter } from '../protocol/writer.js';
import { createServerToken } from '../stream-api/auth.js';

/**
 * Reads and validates the config file. The secret, the server token it signs (it never expires, so
 * it is as good as the secret) and any password in base_url are handed to the writer before anything
 * is validated, so not even an error message, nor an upstream echoing a header, can print them.
 */
export async function loadConfig(path: string, writer: Pick<MessageWriter, 'addSecret' | 'log'>): Promise<Config> {
  const raw = await readJsonFile(path, 'config');
  if (raw === undefined) throw new ConfigError(`The config file ${path} is empty`);
  const { api_secret: secret, base_url: baseUrl } = (raw ?? {}) as { api_secret?: unknown; base_url?: unknown };
  if (typeof secret === 'string' || typeof secret === 'number') {
    writer.addSecret(String(secret));
    writer.addSecret(await createServerToken(String(secret)).catch(() => ''));
  }
  if (typeof baseUrl === 'string') for (const credential of urlCredentials(baseUrl)) writer.addSecret(credential);
  const unknown = unknownConfigKeys(raw);
  if (unknown.length > 0) await writer.log('WARN', `The config has keys this source does not know; they are ignored: ${unknown.join(', ')}`);
  return parseConfig(raw);
}

/** The user name and password of a URL, as written and decoded. */
function urlCredentials(text: string): string[] {
  const found = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]*)@/i.exec(text.trim())?.[1];
  if (found === undefined) return [];
  const parts = found.split(':');
  return [...parts, ...parts.map((part) => safeDecode(part))].filter((part) => part.length >= 3);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
