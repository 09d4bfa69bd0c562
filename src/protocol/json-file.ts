import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

/** The parsed JSON of a file; undefined when the file is empty (or only whitespace). */
export async function readJsonFile(path: string, label: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new ConfigError(`The ${label} file ${path} ${reason}`, { cause: error });
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(`The ${label} file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
