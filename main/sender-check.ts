/**
 * IPC sender validation: main answers IPC only from frames showing its own renderer page, never
 * from a page a window has been navigated to, an iframe, or a devtools extension.
 */

/**
 * True when `senderUrl` is the app's renderer page: for the `app:` renderer (app-protocol.ts) the
 * same scheme and host; for a `file:` renderer the same file (query and fragment ignored); for an
 * `http(s):` dev-server renderer the same origin.
 */
export function isTrustedSenderUrl(senderUrl: string | undefined, rendererUrl: string): boolean {
  if (!senderUrl) return false;
  let sender: URL;
  let expected: URL;
  try {
    sender = new URL(senderUrl);
    expected = new URL(rendererUrl);
  } catch {
    return false;
  }
  if (sender.protocol !== expected.protocol) return false;
  if (expected.protocol === 'app:') return sender.host === expected.host;
  if (expected.protocol === 'file:') return sender.host === expected.host && sender.pathname === expected.pathname;
  if (expected.protocol === 'http:' || expected.protocol === 'https:') return sender.origin === expected.origin;
  return false;
}
