/**
 * The renderer's one way to reach the app: `window.api` (the Electron preload) when present,
 * otherwise the same calls over HTTP to the browser host (`/api/...`, same origin; the host's
 * token cookie rides along).
 */
import type { RendererApi, ZooListItem } from '../../main/ipc-contract.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    api?: RendererApi;
  }
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) {
    const reason = res.status === 403 ? 'open the URL with its token that the server printed' : res.statusText;
    throw new Error(`${path} answered ${res.status} (${reason}).`);
  }
  return (await res.json()) as T;
}

/** The contract over HTTP, for browser mode. */
export const httpApi: RendererApi = {
  version: async () => (await getJson<{ version: string }>('/api/version')).version,
  zooList: () => getJson<ZooListItem[]>('/api/zoo'),
};

/** `window.api` in Electron, the HTTP client elsewhere. */
export function getApi(): RendererApi {
  return window.api ?? httpApi;
}
