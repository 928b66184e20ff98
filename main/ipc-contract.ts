/**
 * The IPC contract between the renderer and the Electron main process: every channel name and
 * its request/response types, in one file shared by main, preload, renderer and the browser host
 * (which serves the same calls over HTTP). Plain types and constants only: no Electron, no DOM.
 */

/** One zoo model as the UI lists it. */
export interface ZooListItem {
  /** The name after `zoo:` (e.g. `se-resnet-demo`). */
  name: string;
  /** One line saying what the model is. */
  description: string;
}

/** Channel names. */
export const IPC = {
  appVersion: 'app:version',
  zooList: 'zoo:list',
} as const;

export type IpcChannel = (typeof IPC)[keyof typeof IPC];

/** Request and response of every channel. */
export interface IpcContract {
  'app:version': { request: []; response: string };
  'zoo:list': { request: []; response: ZooListItem[] };
}

/** What the preload exposes as `window.api`, and what the browser-mode client implements. */
export interface RendererApi {
  /** The app version (package.json `version`). */
  version(): Promise<IpcContract['app:version']['response']>;
  /** The built-in model zoo. */
  zooList(): Promise<IpcContract['zoo:list']['response']>;
}
