/**
 * `electron-vite dev` serves the renderer over HTTP and names it in ELECTRON_RENDERER_URL. A
 * packaged app ignores that variable (otherwise anyone who can set the environment could load
 * their own page into a window that has the app's IPC), and even in development only a loopback
 * http(s) address is taken.
 */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function devRendererUrl(value: string | undefined, isPackaged: boolean): string | undefined {
  if (isPackaged || !value) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  return LOOPBACK.has(u.hostname) ? u.href : undefined;
}
