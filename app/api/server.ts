/**
 * The browser host of the whole app: the static host (app/api/static-server.ts: 127.0.0.1 only,
 * Host check, the token in the TOKEN_HEADER header on every /api route) plus the api contract over HTTP:
 * `POST /api/<method>` with a JSON body answers the method's response as JSON (a user mistake is
 * 400 with `{ error }`, one sentence), and `GET /api/events` is a Server-Sent Events stream of
 * every JobEvent.
 *
 * Long jobs run in child processes (job-host.ts), one per job, with a loaded spare kept ready.
 * `POST /api/upload` (UPLOAD_ROUTE) takes a model's files (app/api/upload.ts), stores them in
 * this host's session folder (a fresh temp folder, removed when the host stops, and by the next
 * host when this one was killed: session-dir.ts) and opens them. `POST /api/download`
 * (DOWNLOAD_ROUTE) answers the bytes of a file this session's export jobs wrote, and nothing else.
 *
 * POSTs must carry `Content-Type: application/json` (application/octet-stream for the upload),
 * which a cross-site form cannot send, on top of the token header (which no other site knows).
 */
import { createReadStream, lstatSync, realpathSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UserError } from '../model/errors.js';
import { API_METHODS, DOWNLOAD_ROUTE, UPLOAD_LIMITS, UPLOAD_ROUTE, type ApiMethod, type JobEvent, type UploadLimits } from './contract.js';
import { RecentFiles } from './recent.js';
import { forkJobProcess, processHost } from './job-host.js';
import { receiveUpload, UploadError } from './upload.js';
import { errorMessage } from './jobs.js';
import { checkRequest } from './request-shape.js';
import { createSessionDir } from './session-dir.js';
import { createService, type Service } from './service.js';
import { SECURITY_HEADERS, startStaticServer, type StaticServer } from './static-server.js';

const MAX_BODY = 1 << 20;

export interface AppServerOptions {
  /** The renderer build to serve. */
  root: string;
  port?: number;
  token?: string;
  /** The folder of the recent-files list (default: the user's config folder, see recent.ts). */
  configDir?: string;
  /** Upload limits (tests lower them). */
  uploadLimits?: UploadLimits;
  /** Keep a loaded job process ready after the first job (default true). */
  warmJobProcess?: boolean;
  /** Jobs run at once, the rest queue (default: the machine's cores, or SEPRUNE_MAX_JOBS). */
  maxJobs?: number;
}

export interface AppServer extends StaticServer {
  service: Service;
  /** Where uploads are stored while the host runs. */
  sessionDir: string;
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value ?? null);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new UserError('The request is too large.');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError('The request body is not valid JSON.');
  }
}

/**
 * Reads and drops the rest of a refused request's body (so the client gets the answer rather than
 * a reset), up to `max` more bytes; a client that sends more than that is cut off.
 */
function drain(req: IncomingMessage, max: number): void {
  let seen = 0;
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > max) req.destroy();
  });
  req.resume();
}

/** Starts the browser host with the app's api; resolves once it listens. */
export async function startAppServer(o: AppServerOptions): Promise<AppServer> {
  const clients = new Set<ServerResponse>();
  const emit = (e: JobEvent): void => {
    const frame = `data: ${JSON.stringify(e)}\n\n`;
    for (const c of clients) c.write(frame);
  };
  const sessionDir = createSessionDir();
  // Long jobs run in processes of their own, so this event loop keeps answering the page.
  const service = createService({ emit, recent: new RecentFiles(o.configDir), spillDir: sessionDir, jobs: processHost(() => forkJobProcess(), { warm: o.warmJobProcess ?? true }), ...(o.maxJobs !== undefined ? { maxJobs: o.maxJobs } : {}) });
  const methods = new Set<string>(API_METHODS);

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!/^application\/octet-stream\b/.test(req.headers['content-type'] ?? '')) {
      reply(res, 415, { error: 'Send uploads as application/octet-stream.' });
      return;
    }
    const limits = o.uploadLimits ?? UPLOAD_LIMITS;
    const length = Number(req.headers['content-length']);
    if (Number.isFinite(length) && length > limits.maxBytes + limits.maxHeaderBytes + 4) {
      drain(req, 64 << 20);
      reply(res, 413, { error: `The upload is over the ${Math.round(limits.maxBytes / (1 << 20))} MiB limit; open the file by its path instead (Open…).` });
      return;
    }
    let stored: Awaited<ReturnType<typeof receiveUpload>>;
    try {
      // A refused upload must still read the rest of the body, or the client sees a reset
      // connection instead of the sentence saying why; so stopping early does not destroy it.
      const body = { [Symbol.asyncIterator]: () => req.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array> };
      stored = await receiveUpload(body, sessionDir, limits);
    } catch (e) {
      drain(req, limits.maxBytes + limits.maxHeaderBytes);
      reply(res, e instanceof UploadError ? e.status : e instanceof UserError ? 400 : 500, { error: errorMessage(e) });
      return;
    }
    try {
      reply(res, 200, await service.openUploaded(stored.main, stored.label));
    } catch (e) {
      rmSync(stored.dir, { recursive: true, force: true });
      reply(res, e instanceof UserError ? 400 : 500, { error: errorMessage(e) });
    }
  }

  /** Answers the bytes of a file this session's exports wrote (DOWNLOAD_ROUTE); refuses every other path. */
  async function download(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      reply(res, 415, { error: 'Send the download request as application/json.' });
      return;
    }
    let path: unknown;
    try {
      path = ((await readJson(req)) as { path?: unknown } | undefined)?.path;
    } catch (e) {
      reply(res, 400, { error: errorMessage(e) });
      return;
    }
    if (typeof path !== 'string' || !path) {
      reply(res, 400, { error: 'Say which exported file to download (its path).' });
      return;
    }
    const real = service.exportedFile(path);
    if (!real) {
      reply(res, 403, { error: 'Only files that an export of this session wrote can be downloaded.' });
      return;
    }
    // The same plain file as when it was written: not removed, replaced by a link or moved under a linked folder.
    let size: number;
    try {
      const st = lstatSync(path);
      if (!st.isFile() || realpathSync(path) !== real) throw new Error('changed');
      size = st.size;
    } catch {
      reply(res, 404, { error: 'That file is no longer where the export wrote it.' });
      return;
    }
    const name = basename(real).replace(/[^A-Za-z0-9._-]/g, '_');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'application/octet-stream', 'Content-Length': size, 'Content-Disposition': `attachment; filename="${name}"` });
    await pipeline(createReadStream(real), res);
  }

  const server = await startStaticServer({
    root: o.root,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.token ? { token: o.token } : {}),
    api: async (req, res, url) => {
      if (url.pathname === '/api/events' && req.method === 'GET') {
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
        res.write(': connected\n\n');
        clients.add(res);
        const beat = setInterval(() => res.write(': beat\n\n'), 15_000);
        req.on('close', () => {
          clearInterval(beat);
          clients.delete(res);
        });
        return true;
      }
      if (url.pathname === UPLOAD_ROUTE && req.method === 'POST') {
        await upload(req, res);
        return true;
      }
      if (url.pathname === DOWNLOAD_ROUTE && req.method === 'POST') {
        await download(req, res);
        return true;
      }
      const name = url.pathname.slice('/api/'.length);
      // GETs fall through to the host's plain routes (/api/zoo, /api/version) or its 404.
      if (!methods.has(name) || req.method !== 'POST') return false;
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        reply(res, 415, { error: 'Send api calls as application/json.' });
        return true;
      }
      try {
        const body = checkRequest(name as ApiMethod, await readJson(req));
        const handler = service[name as ApiMethod] as (r: unknown) => Promise<unknown>;
        reply(res, 200, await handler(body));
      } catch (e) {
        reply(res, e instanceof UserError ? 400 : 500, { error: errorMessage(e) });
      }
      return true;
    },
  });

  return {
    ...server,
    service,
    sessionDir,
    close: async () => {
      service.close();
      for (const c of clients) c.end();
      clients.clear();
      await server.close();
      rmSync(sessionDir, { recursive: true, force: true });
    },
  };
}
