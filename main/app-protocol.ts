/**
 * The renderer's own origin in the desktop app: pages load from `app://renderer/…`, served by
 * main from the built renderer folder, rather than from `file://` (where every file on the disk
 * shares one origin and the page's fetches could read any of them). This file holds the pure
 * part — which file a URL names, and its content type — so it can be tested without Electron.
 */
import { extname, resolve, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'renderer';
/** The page main loads into its window. */
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * The file under `rootDir` that `url` names, or null when the URL is not this app's (another
 * scheme or host) or would leave `rootDir` (`..`, encoded or not, an encoded separator or NUL).
 * `app://renderer/` is the index page. Query and fragment are ignored.
 */
export function appUrlToFile(url: string, rootDir: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null; // malformed percent-encoding
  }
  if (path.includes('\0') || /%2f|%5c/i.test(u.pathname) || path.includes('\\')) return null;
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  const root = resolve(rootDir);
  const file = resolve(root, ...(segments.length ? segments : ['index.html']));
  return file.startsWith(root + sep) ? file : null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The Content-Type main sends for a renderer file (octet-stream for anything unexpected). */
export function contentType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}
