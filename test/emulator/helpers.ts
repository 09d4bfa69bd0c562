import { gunzipSync } from 'node:zlib';
import { signToken, type Emulator } from '../../emulator/index.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, any>;
}

export interface ApiRequest {
  body?: unknown;
  /** Default: a server token signed with the emulator's secret. */
  token?: string | null;
  apiKey?: string | null;
  authType?: string | null;
}

/** Calls the emulator's API the way the SDKs do (api_key, stream-auth-type: jwt, raw JWT). */
export async function api(emulator: Emulator, method: string, path: string, request: ApiRequest = {}): Promise<ApiResponse> {
  const url = new URL(path, emulator.url);
  const apiKey = request.apiKey === undefined ? emulator.apiKey : request.apiKey;
  if (apiKey !== null) url.searchParams.set('api_key', apiKey);
  const headers: Record<string, string> = {};
  const token = request.token === undefined ? signToken(emulator.apiSecret) : request.token;
  if (token !== null) headers.authorization = token;
  const authType = request.authType === undefined ? 'jwt' : request.authType;
  if (authType !== null) headers['stream-auth-type'] = authType;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: request.body === undefined ? undefined : JSON.stringify(request.body) });
  const text = await response.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text) as Record<string, any>;
  } catch {
    // plain-text bodies (429 and gateway errors) stay in `text`
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls the API again after each 429 of a per-second or per-minute limit (no X-Budget-Used-Ms), waiting its Retry-After, as a client must. */
export async function patientApi(emulator: Emulator, method: string, path: string, request: ApiRequest = {}): Promise<ApiResponse> {
  for (let attempt = 0; ; attempt++) {
    const response = await api(emulator, method, path, request);
    const retryAfter = response.headers.get('retry-after');
    if (response.status !== 429 || retryAfter === null || response.headers.has('x-budget-used-ms') || attempt === 60) return response;
    await sleep(Number(retryAfter) * 1000);
  }
}

/** Polls GET /tasks/{id} until the task is completed or failed. */
export async function waitForTask(emulator: Emulator, taskId: string, path = '/tasks/'): Promise<Record<string, any>> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { json } = await patientApi(emulator, 'GET', `${path}${taskId}`);
    if (json.status === 'completed' || json.status === 'failed') return json;
    await sleep(10);
  }
  throw new Error(`task ${taskId} did not finish`);
}

export interface Download {
  status: number;
  headers: Headers;
  bytes: Buffer;
  /** The body as text, gunzipped when it is gzip. */
  text: string;
}

export async function download(url: string, headers: Record<string, string> = {}): Promise<Download> {
  const response = await fetch(url, { headers });
  const bytes = Buffer.from(await response.arrayBuffer());
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  return { status: response.status, headers: response.headers, bytes, text: (gzip ? gunzipSync(bytes) : bytes).toString('utf8') };
}

/** POST /export_channels, wait, download; returns the file and the completed task. */
export async function exportChannels(emulator: Emulator, body: Record<string, unknown>): Promise<Download & { task: Record<string, any> }> {
  const created = await patientApi(emulator, 'POST', '/export_channels', { body: { version: 'v2', ...body } });
  if (created.status !== 201) throw new Error(`export_channels answered ${created.status}: ${created.text}`);
  const task = await waitForTask(emulator, created.json.task_id as string);
  if (task.status !== 'completed') throw new Error(`task failed: ${JSON.stringify(task)}`);
  return { ...(await download(task.result.url as string)), task };
}

export function jsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}
