/**
 * The small part of Electron's API that `main/` uses, declared by hand.
 *
 * Why: the `electron` package carries the real type declarations, but its install script downloads
 * the Electron binary from a CDN that offline/CI machines cannot reach, so npm drops that optional
 * dependency and the real types are absent. tsconfig.node.json maps the `electron` import to this
 * file through `paths` so `main/` typechecks anyway. Every declaration here is a subset of the real
 * one in electron.d.ts (same names, same signatures, fewer members); add only what main/ uses.
 */

export interface WebPreferences {
  preload?: string;
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
  webSecurity?: boolean;
}

export interface BrowserWindowConstructorOptions {
  width?: number;
  height?: number;
  show?: boolean;
  title?: string;
  backgroundColor?: string;
  webPreferences?: WebPreferences;
}

export interface WebFrameMain {
  /** The frame's current URL. */
  readonly url: string;
}

export interface IpcMainInvokeEvent {
  /** The frame that sent the message; null once it has navigated away or been destroyed. */
  readonly senderFrame: WebFrameMain | null;
  /** The web contents that sent the message. */
  readonly sender: WebContents;
}

export interface IpcMain {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
}

export interface IpcRendererEvent {
  readonly senderId: number;
}

export interface IpcRenderer {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): this;
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): this;
}

export interface ContextBridge {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

export interface HandlerDetails {
  url: string;
}

export interface WebContents {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { preventDefault(): void }, url: string) => void): this;
  on(event: 'will-frame-navigate', listener: (event: { preventDefault(): void; url: string }) => void): this;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): this;
  on(event: 'will-prevent-unload', listener: (event: { preventDefault(): void }) => void): this;
  setWindowOpenHandler(handler: (details: HandlerDetails) => { action: 'deny' }): void;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export class BrowserWindow {
  constructor(options?: BrowserWindowConstructorOptions);
  static getAllWindows(): BrowserWindow[];
  static fromWebContents(webContents: WebContents): BrowserWindow | null;
  readonly webContents: WebContents;
  loadURL(url: string): Promise<void>;
  loadFile(filePath: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): this;
  show(): void;
}

export interface OnHeadersReceivedListenerDetails {
  url: string;
  responseHeaders?: Record<string, string[]>;
}

export interface HeadersReceivedResponse {
  responseHeaders?: Record<string, string | string[]>;
}

export interface WebRequest {
  onHeadersReceived(
    listener: (details: OnHeadersReceivedListenerDetails, callback: (response: HeadersReceivedResponse) => void) => void,
  ): void;
}

export interface Session {
  readonly webRequest: WebRequest;
  setPermissionRequestHandler(
    handler: ((webContents: WebContents, permission: string, callback: (permissionGranted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: WebContents | null, permission: string) => boolean) | null): void;
}

export interface CustomScheme {
  scheme: string;
  privileges?: { standard?: boolean; secure?: boolean; supportFetchAPI?: boolean; corsEnabled?: boolean; stream?: boolean };
}

export interface Protocol {
  registerSchemesAsPrivileged(customSchemes: CustomScheme[]): void;
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
}

export interface Net {
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

export interface App {
  /** True in a packaged app, false when run from sources (`electron .`, `electron-vite dev`). */
  readonly isPackaged: boolean;
  whenReady(): Promise<void>;
  getVersion(): string;
  quit(): void;
  on(event: 'window-all-closed', listener: () => void): this;
  on(event: 'activate', listener: () => void): this;
  on(event: 'will-quit', listener: () => void): this;
}

export interface FileFilter {
  name: string;
  extensions: string[];
}

export interface OpenDialogOptions {
  title?: string;
  defaultPath?: string;
  buttonLabel?: string;
  filters?: FileFilter[];
  properties?: Array<'openFile' | 'openDirectory' | 'multiSelections' | 'showHiddenFiles'>;
}

export interface OpenDialogReturnValue {
  canceled: boolean;
  filePaths: string[];
}

export interface SaveDialogOptions {
  title?: string;
  defaultPath?: string;
  buttonLabel?: string;
  filters?: FileFilter[];
  properties?: Array<'showHiddenFiles' | 'createDirectory' | 'treatPackageAsDirectory' | 'showOverwriteConfirmation' | 'dontAddToRecent'>;
}

export interface SaveDialogReturnValue {
  canceled: boolean;
  filePath?: string;
}

export interface MessageBoxSyncOptions {
  message: string;
  type?: 'none' | 'info' | 'error' | 'question' | 'warning';
  buttons?: string[];
  defaultId?: number;
  title?: string;
  detail?: string;
  cancelId?: number;
}

export interface Dialog {
  showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showSaveDialog(window: BrowserWindow, options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  showMessageBoxSync(window: BrowserWindow, options: MessageBoxSyncOptions): number;
}

export interface WebUtils {
  /** The file-system path of a File from a drop or an <input type=file> ('' when it has none). */
  getPathForFile(file: File): string;
}

export interface ForkOptions {
  env?: Record<string, string | undefined>;
  execArgv?: string[];
  cwd?: string;
  stdio?: 'pipe' | 'ignore' | 'inherit' | Array<'pipe' | 'ignore' | 'inherit'>;
  serviceName?: string;
}

export interface UtilityProcess {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'spawn', listener: () => void): this;
}

export interface UtilityProcessModule {
  fork(modulePath: string, args?: string[], options?: ForkOptions): UtilityProcess;
}

export const app: App;
export const utilityProcess: UtilityProcessModule;
export const dialog: Dialog;
export const webUtils: WebUtils;
export const ipcMain: IpcMain;
export const ipcRenderer: IpcRenderer;
export const contextBridge: ContextBridge;
export const session: { readonly defaultSession: Session };
export const protocol: Protocol;
export const net: Net;
