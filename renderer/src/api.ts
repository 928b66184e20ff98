/**
 * The renderer's one way to reach the app: `window.api` (the Electron preload) when present,
 * otherwise the same contract over HTTP to the browser host — `POST /api/<method>` with JSON, and
 * job events from the Server-Sent Events stream `/api/events` (same origin; the host's token
 * cookie rides along). `version` and `listZoo` use the host's plain GET routes, so the Start page
 * also works against the static host alone.
 */
import { API_METHODS, JOB_METHODS, UPLOAD_LIMITS, UPLOAD_ROUTE, type JobEvent, type ModelInfo, type RendererApi, type UploadHeader } from '../../app/api/contract.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    api?: RendererApi;
  }
}

function failure(path: string, status: number, body: unknown): Error {
  const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : '';
  if (msg) return new Error(msg);
  if (status === 403) return new Error('The server refused the call: open the URL with its token that the server printed.');
  return new Error(`${path} answered ${status}.`);
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw failure(path, res.status, body);
  return body as T;
}

async function postJson(path: string, req: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(req ?? null),
    });
  } catch {
    throw new Error('The app server does not answer; is `seprune serve` still running?');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw failure(path, res.status, body);
  return body;
}

/** The job-event stream, opened on first subscription; resolves once connected. */
const listeners = new Set<(e: JobEvent) => void>();
let source: EventSource | null = null;
let connected: Promise<void> | null = null;

function connectEvents(): Promise<void> {
  if (connected) return connected;
  connected = new Promise<void>((ok) => {
    source = new EventSource('/api/events', { withCredentials: true });
    source.onopen = () => ok();
    source.onmessage = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as JobEvent;
      for (const l of listeners) l(e);
    };
  });
  return connected;
}

function httpApi(): RendererApi {
  const calls: Record<string, (req?: unknown) => Promise<unknown>> = {};
  for (const m of API_METHODS) calls[m] = (req?: unknown) => postJson(`/api/${m}`, req);
  calls.version = async () => (await getJson<{ version: string }>('/api/version')).version;
  calls.listZoo = () => getJson('/api/zoo');
  // Jobs start only once the event stream is connected, so no event can be missed.
  for (const m of JOB_METHODS) {
    const post = calls[m];
    calls[m] = async (req?: unknown) => {
      await connectEvents();
      return post(req);
    };
  }
  return {
    ...calls,
    onJobEvent(listener: (e: JobEvent) => void) {
      listeners.add(listener);
      void connectEvents();
      return () => listeners.delete(listener);
    },
  } as unknown as RendererApi;
}

/**
 * Browser mode: sends a model's files (one .seprune or .onnx, or a TF.js model.json with its
 * weight shards) to the host, which stores them in its session folder and opens the model.
 */
export async function uploadModel(files: File[]): Promise<ModelInfo> {
  if (files.length === 0) throw new Error('Choose a model file to open.');
  if (files.length > UPLOAD_LIMITS.maxFiles) throw new Error(`Upload at most ${UPLOAD_LIMITS.maxFiles} files at once.`);
  const total = files.reduce((a, f) => a + f.size, 0);
  if (total > UPLOAD_LIMITS.maxBytes) throw new Error(`These files are over the ${UPLOAD_LIMITS.maxBytes >> 20} MiB upload limit; open the model by its path instead (Open…).`);
  const header: UploadHeader = { files: files.map((f) => ({ name: f.name, bytes: f.size })) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, json.length, true);
  let res: Response;
  try {
    res = await fetch(UPLOAD_ROUTE, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json' },
      body: new Blob([len, json, ...files]),
    });
  } catch {
    throw new Error('The app server does not answer; is `seprune serve` still running?');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw failure(UPLOAD_ROUTE, res.status, body);
  return body as ModelInfo;
}

/** Electron's IPC errors arrive as "Error invoking remote method 'api:x': Error: <message>". */
export function readableError(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
}

let api: RendererApi | null = null;

/** `window.api` in Electron, the HTTP client elsewhere. */
export function getApi(): RendererApi {
  api ??= window.api ?? httpApi();
  return api;
}
