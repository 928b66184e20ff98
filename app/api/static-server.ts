/**
 * The browser host: serves the built renderer (`out/renderer`) and the `/api` calls of the IPC
 * contract over HTTP, so the same UI runs in any browser when Electron is absent.
 *
 * Safety: it binds 127.0.0.1 only, answers only requests whose Host is 127.0.0.1/localhost on its
 * port (no DNS rebinding), and every `/api` route needs a random token in the TOKEN_HEADER
 * request header. No cookie is ever set or accepted: a browser sends a host's cookies to every
 * port of it, so another web server on 127.0.0.1 would receive them. The printed URL carries the
 * token as `/?token=` for the page alone, which takes it and drops it from the address bar;
 * `/api` requests carrying `?token=` are refused (URLs end up in logs and history). Files are
 * served from the root only, never through a symbolic link; HTML and every other answer carry
 * COOP/CORP same-origin and a Permissions-Policy that turns off every powerful feature.
 *
 * Run directly: `node --import tsx app/api/static-server.ts [--port N] [--root DIR]` prints the
 * URL (with its token) on one line and serves until interrupted.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY_HEADER } from './csp.js';
import { zooList } from './zoo-list.js';
import { UserError } from '../model/errors.js';
import { TOKEN_HEADER } from './contract.js';

/** The only address the host listens on. */
export const HOST = '127.0.0.1';

/** Browser features the app never uses, all off (camera, microphone, geolocation, …). */
export const PERMISSIONS_POLICY = [
  'accelerometer', 'autoplay', 'camera', 'display-capture', 'encrypted-media', 'fullscreen', 'geolocation', 'gyroscope',
  'hid', 'magnetometer', 'microphone', 'midi', 'payment', 'picture-in-picture', 'publickey-credentials-get', 'screen-wake-lock',
  'serial', 'usb', 'xr-spatial-tracking', 'clipboard-read', 'browsing-topics',
].map((f) => `${f}=()`).join(', ');

/** Headers every answer of the host carries (the api's JSON too). */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': PERMISSIONS_POLICY,
  'Cache-Control': 'no-store',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

export interface StaticServerOptions {
  /** The folder to serve (the renderer build). */
  root: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** The access token; a fresh random one when absent. */
  token?: string;
  /** The version `/api/version` reports; package.json's when absent. */
  version?: string;
  /**
   * Further `/api` routes (the app's api, app/api/server.ts): called after the token check for
   * every /api request, GET or POST; resolves true when it answered the request.
   */
  api?: ApiRoute;
}

/** A handler of token-checked `/api` requests; resolves false to fall through to the built-in routes. */
export type ApiRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface StaticServer {
  /** The address to open, token included: `http://127.0.0.1:<port>/?token=<token>`. */
  url: string;
  port: number;
  token: string;
  /** Where the socket is bound (always 127.0.0.1). */
  address: AddressInfo;
  close(): Promise<void>;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? undefined : v;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head = false): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/** True when some part of `file`'s path below `root` (the file itself included) is a symbolic link or missing. */
async function throughLink(root: string, file: string): Promise<boolean> {
  let at = root;
  for (const part of relative(root, file).split(sep)) {
    at = join(at, part);
    const st = await lstat(at).catch(() => null);
    if (!st || st.isSymbolicLink()) return true;
  }
  return false;
}

function sendJson(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  send(res, status, MIME['.json'], JSON.stringify(value), head);
}

/** Starts the host; resolves once it listens. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const given = resolve(options.root);
  const rootStat = await stat(given).catch(() => null);
  if (!rootStat?.isDirectory()) throw new UserError(`The folder to serve, ${given}, does not exist; run npm run build first.`);
  // The root itself may sit behind a link (e.g. /tmp on macOS); links inside it are refused.
  const root = await realpath(given);
  const token = options.token ?? randomBytes(24).toString('base64url');
  const version = options.version ?? packageVersion();
  let port = 0;

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const hostHeader = req.headers.host ?? '';
    if (hostHeader !== `${HOST}:${port}` && hostHeader !== `localhost:${port}`) {
      return send(res, 421, 'text/plain; charset=utf-8', 'Unexpected Host header.\n');
    }
    const head = req.method === 'HEAD';
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    const postOk = req.method === 'POST' && isApi && options.api !== undefined;
    if (req.method !== 'GET' && !head && !postOk) return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n');
    if (isApi) {
      if (url.searchParams.has('token')) {
        return sendJson(res, 403, { error: `This server takes its access token in the ${TOKEN_HEADER} header, not in the URL of an api call.` }, head);
      }
      // A cookie, whatever it holds, is not a credential here.
      if (!sameSecret(headerValue(req, TOKEN_HEADER), token)) {
        return sendJson(res, 403, { error: 'This server needs its access token: open the URL it printed.' }, head);
      }
      if (options.api && (await options.api(req, res, url))) return;
      switch (url.pathname) {
        case '/api/zoo':
          return sendJson(res, 200, zooList(), head);
        case '/api/version':
          return sendJson(res, 200, { version }, head);
        default:
          return sendJson(res, 404, { error: `No API route ${url.pathname}.` }, head);
      }
    }

    let relPath: string;
    try {
      relPath = decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'Bad path.\n', head);
    }
    if (relPath.endsWith('/')) relPath += 'index.html';
    const file = resolve(root, `.${relPath}`);
    if (!file.startsWith(root + sep) || relPath.includes('\0')) {
      return send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n', head);
    }
    if (await throughLink(root, file)) return send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n', head);
    const body = await readFile(file).catch(() => null);
    if (!body) return send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n', head);
    send(res, 200, MIME[extname(file).toLowerCase()] ?? 'application/octet-stream', body, head);
  };

  const server: Server = createServer((req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error.\n');
      else res.destroy();
    });
  });

  await new Promise<void>((ok, fail) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      fail(
        e.code === 'EADDRINUSE'
          ? new UserError(`Port ${options.port} is already in use; choose another with --port.`)
          : e,
      );
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', onError);
      ok();
    });
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    token,
    address,
    close: () =>
      new Promise<void>((ok, fail) => {
        server.closeAllConnections();
        server.close((e) => (e ? fail(e) : ok()));
      }),
  };
}

function parseArgs(argv: string[]): { port: number; root: string } {
  let port = 0;
  let root = fileURLToPath(new URL('../../out/renderer', import.meta.url));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [key, inline] = arg.split('=', 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UserError(`${key} needs a value.`);
      return v;
    };
    if (key === '--port') {
      const v = value();
      port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UserError(`--port must be an integer from 0 to 65535, got "${v}".`);
      }
    } else if (key === '--root') {
      root = resolve(value());
    } else {
      throw new UserError(`Unknown option "${arg}"; options: --port N, --root DIR.`);
    }
  }
  return { port, root };
}

async function runCli(): Promise<void> {
  try {
    const { port, root } = parseArgs(process.argv.slice(2));
    const server = await startStaticServer({ port, root });
    console.log(`SE Prune Studio is running at ${server.url}`);
    const stop = (): void => {
      void server.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (e) {
    if (e instanceof UserError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void runCli();
}
