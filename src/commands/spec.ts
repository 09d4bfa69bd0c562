import { specification } from '../config.js';
import type { MessageWriter } from '../protocol/writer.js';

export async function spec(writer: MessageWriter): Promise<void> {
  await writer.spec(specification());
}
