import { Readable, pipeline } from 'node:stream';
import Assembler from 'stream-json/Assembler.js';
import Parser from 'stream-json/Parser.js';
import { SystemError } from '../errors.js';
import { channelCid, ownerCid, type EntityKind, type ExportEntity } from './entities.js';

interface Token {
  name: string;
  value?: unknown;
}

interface GroupFrame {
  kind: 'group';
  /** The document's root object, which may also hold a `channels` array of groups. */
  root: boolean;
  key?: string;
  cid?: string;
  hasChannel: boolean;
  /** Members and messages that name no channel, seen before their group's `channel`. */
  pending: ExportEntity[];
}

type Frame = { kind: 'groups' } | GroupFrame | { kind: 'list'; entity: 'member' | 'message' };

/**
 * The entities of a v1 export, in batches, in document order: one JSON document (or several, back
 * to back) made of channel groups `{channel, members, messages}` — an array of them,
 * `{channels: [...]}`, or a bare group. Only the entities of a batch are held in memory, however
 * long a channel's message list is.
 */
export async function* parseV1Document(bytes: AsyncIterable<Buffer>, onSkip: (reason: string) => void): AsyncGenerator<ExportEntity[]> {
  const reader = new V1Reader(onSkip);
  const parser = new EntityParser(reader);
  const entities: AsyncIterable<ExportEntity[]> = pipeline(Readable.from(bytes, { objectMode: false }), parser, () => {});
  try {
    yield* entities;
  } catch (error) {
    // stream-json's syntax errors are plain Errors worded "Parser …".
    if (error instanceof Error && error.message.startsWith('Parser ')) {
      throw new SystemError(`the v1 export is not valid JSON: ${error.message}`, { cause: error, context: { format: 'v1' } });
    }
    throw error;
  }
  reader.finish();
}

/**
 * stream-json's parser, turned into a stream of entity batches: each token it pushes is fed to the
 * reader on the spot and only whole entities leave. Handing hundreds of tokens per message
 * through a stream and an async iterator one by one would cost several times the parsing.
 */
class EntityParser extends Parser {
  constructor(private readonly reader: V1Reader) {
    super({ packValues: true, streamValues: false, jsonStreaming: true });
  }

  override push(token: unknown, encoding?: BufferEncoding): boolean {
    if (token === null) return super.push(null, encoding);
    if (this.destroyed) return false;
    try {
      this.reader.consume(token as Token);
    } catch (error) {
      this.destroy(error as Error);
      return false;
    }
    const { ready } = this.reader;
    return ready.length === 0 || super.push(ready.splice(0));
  }
}

/**
 * stream-json's Assembler stores a key by assignment, so a key `__proto__` (legal JSON, and customers'
 * custom data is theirs) would set the object's prototype or vanish, where JSON.parse keeps it as an own
 * property: this one defines it, as JSON.parse does.
 */
class OwnKeyAssembler extends Assembler {
  constructor() {
    super();
    const store = this as unknown as {
      current: unknown;
      key: string | null;
      done: boolean;
      _saveValue(value: unknown): void;
      stringValue(value: unknown): void;
    };
    const save = store._saveValue.bind(store);
    store._saveValue = (value) => {
      if (store.done || Array.isArray(store.current) || store.key !== '__proto__') return save(value);
      Object.defineProperty(store.current, '__proto__', { value, enumerable: true, writable: true, configurable: true });
      store.key = null;
    };
    store.stringValue = (value) => store._saveValue(value);
  }
}

const START = new Set(['startObject', 'startArray']);
const END = new Set(['endObject', 'endArray']);

class V1Reader {
  /** Entities complete and ready to be handed out, in document order. */
  readonly ready: ExportEntity[] = [];
  private readonly stack: Frame[] = [];
  private readonly assembler = new OwnKeyAssembler();
  private assembling: EntityKind | undefined;
  private skipDepth = 0;

  constructor(private readonly onSkip: (reason: string) => void) {}

  consume(token: Token): void {
    if (this.assembling) {
      this.assembler.consume(token as { name: string; value?: string });
      if (this.assembler.done) this.completeEntity(this.assembling, this.assembler.current as Record<string, unknown>);
      return;
    }
    if (this.skipDepth > 0) {
      if (START.has(token.name)) this.skipDepth += 1;
      else if (END.has(token.name)) this.skipDepth -= 1;
      return;
    }
    const frame = this.stack.at(-1);
    if (!frame) return this.consumeTopLevel(token);
    if (frame.kind === 'groups') return this.consumeGroupListItem(token);
    if (frame.kind === 'list') return this.consumeListItem(frame.entity, token);
    return this.consumeGroupField(frame, token);
  }

  finish(): void {
    if (this.stack.length > 0 || this.assembling || this.skipDepth > 0) {
      throw new SystemError('the v1 export ended in the middle of its JSON document', { context: { format: 'v1' } });
    }
  }

  private consumeTopLevel(token: Token): void {
    if (token.name === 'startArray') this.stack.push({ kind: 'groups' });
    else if (token.name === 'startObject') this.startGroup(true);
    else throw new SystemError(`a v1 export is a JSON object or array of channels, not a ${token.name}`, { context: { format: 'v1' } });
  }

  private consumeGroupListItem(token: Token): void {
    if (token.name === 'startObject') this.startGroup(false);
    else if (token.name === 'endArray') this.stack.pop();
    else this.skipValue(token, 'an item of the channel list that is not an object');
  }

  private consumeListItem(entity: 'member' | 'message', token: Token): void {
    if (token.name === 'startObject') this.startEntity(entity, token);
    else if (token.name === 'endArray') this.stack.pop();
    else this.skipValue(token, `an item of "${entity}s" that is not an object`);
  }

  private consumeGroupField(group: GroupFrame, token: Token): void {
    if (token.name === 'keyValue') {
      group.key = String(token.value);
      return;
    }
    if (token.name === 'endObject') {
      this.endGroup(group);
      return;
    }
    const { key } = group;
    if (key === 'channel' && token.name === 'startObject') this.startEntity('channel', token);
    else if ((key === 'members' || key === 'messages') && token.name === 'startArray') {
      this.stack.push({ kind: 'list', entity: key === 'members' ? 'member' : 'message' });
    } else if (key === 'channels' && group.root && token.name === 'startArray') this.stack.push({ kind: 'groups' });
    else this.skipValue(token, `the field "${key}" of a v1 channel`);
  }

  private startGroup(root: boolean): void {
    this.stack.push({ kind: 'group', root, hasChannel: false, pending: [] });
  }

  private endGroup(group: GroupFrame): void {
    this.stack.pop();
    if (group.pending.length > 0) {
      throw new SystemError(`a v1 channel object has ${group.pending.length} members or messages but no channel to tell their cid`, {
        context: { format: 'v1' },
      });
    }
  }

  private startEntity(kind: EntityKind, token: Token): void {
    this.assembling = kind;
    this.assembler.consume(token as { name: string });
  }

  private completeEntity(kind: EntityKind, data: Record<string, unknown>): void {
    this.assembling = undefined;
    const group = this.currentGroup();
    if (kind === 'channel') {
      const cid = channelCid(data);
      group.cid = cid;
      group.hasChannel = true;
      this.ready.push(cid === undefined ? { kind, data } : { kind, cid, data });
      for (const entity of group.pending) this.ready.push(cid === undefined ? entity : { ...entity, cid });
      group.pending.length = 0;
      return;
    }
    const cid = ownerCid(data) ?? group.cid;
    const entity: ExportEntity = cid === undefined ? { kind, data } : { kind, cid, data };
    if (kind === 'message') entity.reactionsInline = true;
    if (cid === undefined && !group.hasChannel) group.pending.push(entity);
    else this.ready.push(entity);
  }

  private currentGroup(): GroupFrame {
    for (let i = this.stack.length - 1; i >= 0; i -= 1) {
      const frame = this.stack[i];
      if (frame?.kind === 'group') return frame;
    }
    throw new SystemError('v1 export reader lost track of its channel object');
  }

  private skipValue(token: Token, what: string): void {
    this.onSkip(`${what} (not replicated)`);
    if (START.has(token.name)) this.skipDepth = 1;
  }
}
