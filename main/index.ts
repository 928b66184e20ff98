/**
 * The Electron main process: one window with the renderer, locked down (context isolation,
 * sandbox, no Node in the page, a strict CSP, no navigation, no new windows, no permissions),
 * and the IPC handlers of the contract in ipc-contract.ts, each answering only the app's own page.
 */
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY_HEADER } from './csp.js';
import { IPC, type IpcChannel, type IpcContract } from './ipc-contract.js';
import { isTrustedSenderUrl } from './sender-check.js';
import { zooList } from './zoo-list.js';

// Built layout: out/main/index.js, out/preload/index.cjs, out/renderer/index.html.
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererFile = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
/** `electron-vite dev` serves the renderer over HTTP and names it here; a build loads the file. */
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const rendererUrl = devServerUrl ?? pathToFileURL(rendererFile).href;

/** Registers one contract channel; calls from anything but the app's own page are refused. */
function handle<C extends IpcChannel>(
  channel: C,
  answer: (...args: IpcContract[C]['request']) => IpcContract[C]['response'] | Promise<IpcContract[C]['response']>,
): void {
  ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => {
    if (!isTrustedSenderUrl(event.senderFrame?.url, rendererUrl)) {
      throw new Error(`IPC ${channel} refused: the sender is not this app's page.`);
    }
    return answer(...(args as IpcContract[C]['request']));
  });
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    show: false,
    title: 'SE Prune Studio',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedSenderUrl(url, rendererUrl)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.once('ready-to-show', () => win.show());
  void (devServerUrl ? win.loadURL(devServerUrl) : win.loadFile(rendererFile));
}

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY_HEADER] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));

  handle(IPC.appVersion, () => app.getVersion());
  handle(IPC.zooList, () => zooList());

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
