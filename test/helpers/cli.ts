// Runs the built CLI (node dist/main.js) as a child process, the way Airbyte does, and checks
// that stdout holds nothing but valid Airbyte messages.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DIST_MAIN } from './build.js';
import { assertValidMessage } from './protocol-validator.js';

export interface CliOptions {
  /** Working directory; default: the temp dir holding `files` (or a fresh empty one), removed after the run. */
  cwd?: string;
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  /** Kill the child (SIGKILL) and fail after this long. Default 15000. */
  timeoutMs?: number;
  /** Files to create in the temp dir: objects as JSON, strings verbatim (to write garbage). */
  files?: Record<string, unknown>;
}

export type AirbyteMessage = { type: string } & Record<string, any>;

export interface CliResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  messages: AirbyteMessage[];
  stdout: string;
  stderr: string;
  /** The messages of one type, e.g. byType('TRACE'). */
  byType(type: string): AirbyteMessage[];
  /** The TRACE ERROR payloads. */
  errors(): Array<Record<string, any>>;
}

export interface SpawnedCli {
  child: ChildProcess;
  /** Resolves when the first stdout line satisfying `predicate` has been seen (or rejects on exit). */
  waitForMessage: (predicate: (message: AirbyteMessage) => boolean) => Promise<AirbyteMessage>;
  result: Promise<CliResult>;
}

/** Starts `node dist/main.js <args>`; lets a test signal the child mid-run. Call ensureBuilt() first. */
export function spawnCli(args: string[], options: CliOptions = {}): SpawnedCli {
  const dir = mkdtempSync(join(tmpdir(), 'source-stream-chat-cli-'));
  for (const [name, content] of Object.entries(options.files ?? {})) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  const child = spawn(process.execPath, [DIST_MAIN, ...args], {
    cwd: options.cwd ?? dir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ predicate: (message: AirbyteMessage) => boolean; resolve: (message: AirbyteMessage) => void }> = [];
  const seen: AirbyteMessage[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const message = tryParse(line);
      if (message === undefined) continue;
      seen.push(message);
      for (const watcher of watchers.filter((w) => w.predicate(message))) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(message);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });

  const timeoutMs = options.timeoutMs ?? 15_000;
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ exitCode, signal });
    });
  });

  const result = exited.then(({ exitCode, signal }) => {
    const messages = parseStdout(stdout, args);
    return {
      exitCode,
      signal,
      messages,
      stdout,
      stderr,
      byType: (type: string) => messages.filter((message) => message.type === type),
      errors: () => messages.filter((m) => m.type === 'TRACE' && m.trace.type === 'ERROR').map((m) => m.trace.error),
    };
  });

  function waitForMessage(predicate: (message: AirbyteMessage) => boolean): Promise<AirbyteMessage> {
    const already = seen.find(predicate);
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      watchers.push({ predicate, resolve });
      void exited.then(() => reject(new Error(`CLI exited before the awaited message; stdout:\n${stdout}\nstderr:\n${stderr}`)), reject);
    });
  }

  return { child, waitForMessage, result };
}

/** Runs `node dist/main.js <args>` to the end. Fails on any non-JSON stdout line or invalid message. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).result;
}

function parseStdout(stdout: string, args: string[]): AirbyteMessage[] {
  if (stdout !== '' && !stdout.endsWith('\n')) throw new Error(`stdout of ${args.join(' ')} does not end with a newline:\n${stdout}`);
  return stdout
    .split('\n')
    .slice(0, -1)
    .map((line, index) => {
      const message = tryParse(line);
      if (message === undefined) throw new Error(`stdout line ${index + 1} of ${args.join(' ')} is not a JSON object: ${line}`);
      assertValidMessage(message);
      return message;
    });
}

function tryParse(line: string): AirbyteMessage | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as AirbyteMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** The single TRACE ERROR of a run that failed. */
export function onlyError(result: CliResult): Record<string, any> {
  const errors = result.errors();
  expect(errors, result.stdout).toHaveLength(1);
  return errors[0]!;
}

/** The single CONNECTION_STATUS of a check, which then printed no TRACE ERROR. */
export function connectionStatus(result: CliResult): Record<string, any> {
  const statuses = result.byType('CONNECTION_STATUS');
  expect(statuses, result.stdout).toHaveLength(1);
  expect(result.errors()).toEqual([]);
  return statuses[0]!.connectionStatus;
}

export function expectNotPrinted(result: CliResult, secret: string): void {
  expect(result.stdout).not.toContain(secret);
  expect(result.stderr).not.toContain(secret);
}
