/**
 * The renderer's one way to reach the app: `window.api` (the Electron preload) when present,
 * otherwise the same contract over HTTP to the browser host — `POST /api/<method>` with JSON, and
 * job events from the Server-Sent Events stream `/api/events`, read with a streaming fetch.
 * Every call carries the host's token in the TOKEN_HEADER header: the page takes it from its own
 * address (`/?token=…`) once, drops it from the address bar and history, and keeps it in memory
 * and in this tab's sessionStorage (per origin, port included, and never sent anywhere) so a
 * reload keeps working. No cookie carries it (browsers send cookies to every port of a host).
 * `version` and `listZoo` use the host's plain GET routes, so the Start page also works against
 * the static host alone.
 */
import { baseName } from './paths.js';
import { API_METHODS, DOWNLOAD_ROUTE, JOB_METHODS, TOKEN_HEADER, UPLOAD_LIMITS, UPLOAD_ROUTE, type JobEvent, type ModelInfo, type RendererApi, type UploadHeader } from '../../app/api/contract.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    api?: RendererApi;
  }
}

const TOKEN_KEY = 'seprune-token';

/** The token from the page's address (removed from it), else the one this tab kept. */
function takeToken(): string {
  if (typeof location === 'undefined') return '';
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
    try {
      sessionStorage.setItem(TOKEN_KEY, given);
    } catch {
      // storage off: memory only (a reload then needs the printed URL again)
    }
    return given;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

let token: string | null = null;
function auth(): Record<string, string> {
  token ??= takeToken();
  return { [TOKEN_HEADER]: token };
}
// Browser mode: take the token off the address bar as soon as the page runs, before anything reads or shares it.
if (typeof window !== 'undefined' && !window.api) auth();

function failure(path: string, status: number, body: unknown): Error {
  const msg = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : '';
  if (msg) return new Error(msg);
  if (status === 403) return new Error('The server refused the call: open the URL with its token that the server printed.');
  return new Error(`${path} answered ${status}.`);
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'omit', headers: { ...auth(), accept: 'application/json' } });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw failure(path, res.status, body);
  return body as T;
}

async function postJson(path: string, req: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      credentials: 'omit',
      headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json' },
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
let connected: Promise<void> | null = null;

/** Hands each `data:` frame of a Server-Sent Events text to the listeners; returns the unfinished rest. */
function dispatchFrames(buf: string): string {
  let i: number;
  while ((i = buf.indexOf('\n\n')) >= 0) {
    const frame = buf.slice(0, i);
    buf = buf.slice(i + 2);
    const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    if (!data) continue;
    const e = JSON.parse(data) as JobEvent;
    for (const l of listeners) l(e);
  }
  return buf;
}

/** Reads `/api/events` with the token header (EventSource cannot send headers), reconnecting like EventSource does. */
function connectEvents(): Promise<void> {
  if (connected) return connected;
  connected = new Promise<void>((ok) => {
    const run = async (): Promise<void> => {
      for (;;) {
        try {
          const res = await fetch('/api/events', { credentials: 'omit', cache: 'no-store', headers: { ...auth(), accept: 'text/event-stream' } });
          if (res.ok && res.body) {
            ok();
            const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
            let buf = '';
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              buf = dispatchFrames(buf + value);
            }
          }
        } catch {
          // the host went away: try again below
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void run();
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
      credentials: 'omit',
      headers: { ...auth(), 'content-type': 'application/octet-stream', accept: 'application/json' },
      body: new Blob([len, json, ...files]),
    });
  } catch {
    throw new Error('The app server does not answer; is `seprune serve` still running?');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw failure(UPLOAD_ROUTE, res.status, body);
  return body as ModelInfo;
}

/** Whether the page talks to the browser host (files the api writes then lie on another machine, maybe). */
export function browserMode(): boolean {
  return typeof window !== 'undefined' && !window.api;
}

/**
 * Browser mode: saves a file an export of this session wrote on the host's machine. The token
 * must travel in its header, so the page fetches the bytes itself and hands them to the browser
 * as a Blob behind an object URL and an <a download>; the CSP needs no blob: for this, since its
 * fetch directives govern what the page loads, not what a download link saves.
 */
export async function downloadExported(path: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(DOWNLOAD_ROUTE, {
      method: 'POST',
      credentials: 'omit',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ path }),
    });
  } catch {
    throw new Error('The app server does not answer; is `seprune serve` still running?');
  }
  if (!res.ok) throw failure(DOWNLOAD_ROUTE, res.status, await res.json().catch(() => null));
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = baseName(path) || 'download';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
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
