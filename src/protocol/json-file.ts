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
    // V8's message quotes the text around the fault, which in a config file may be the secret.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ConfigError(`The ${label} file ${path} is not valid JSON${position === undefined ? '' : ` ${where(text, Number(position))}`}`);
  }
}

/** "at line L, column C" of a character offset. */
function where(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}
