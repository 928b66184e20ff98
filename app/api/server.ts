/**
 * The browser host of the whole app: the static host (app/api/static-server.ts: 127.0.0.1 only,
 * Host check, token → HttpOnly cookie on every /api route) plus the api contract over HTTP:
 * `POST /api/<method>` with a JSON body answers the method's response as JSON (a user mistake is
 * 400 with `{ error }`, one sentence), and `GET /api/events` is a Server-Sent Events stream of
 * every JobEvent.
 *
 * POSTs must carry `Content-Type: application/json`, which a cross-site form cannot send, on top
 * of the SameSite=Strict cookie.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTENT_SECURITY_POLICY_HEADER } from './csp.js';
import { UserError } from '../model/errors.js';
import { API_METHODS, type ApiMethod, type JobEvent } from './contract.js';
import { errorMessage } from './jobs.js';
import { createService, type Service } from './service.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const MAX_BODY = 1 << 20;

export interface AppServerOptions {
  /** The renderer build to serve. */
  root: string;
  port?: number;
  token?: string;
}

export interface AppServer extends StaticServer {
  service: Service;
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value ?? null);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
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

/** Starts the browser host with the app's api; resolves once it listens. */
export async function startAppServer(o: AppServerOptions): Promise<AppServer> {
  const clients = new Set<ServerResponse>();
  const emit = (e: JobEvent): void => {
    const frame = `data: ${JSON.stringify(e)}\n\n`;
    for (const c of clients) c.write(frame);
  };
  const service = createService({ emit });
  const methods = new Set<string>(API_METHODS);

  const server = await startStaticServer({
    root: o.root,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.token ? { token: o.token } : {}),
    api: async (req, res, url) => {
      if (url.pathname === '/api/events' && req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
        res.write(': connected\n\n');
        clients.add(res);
        const beat = setInterval(() => res.write(': beat\n\n'), 15_000);
        req.on('close', () => {
          clearInterval(beat);
          clients.delete(res);
        });
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
        const body = await readJson(req);
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
    close: async () => {
      service.close();
      for (const c of clients) c.end();
      clients.clear();
      await server.close();
    },
  };
}
