/**
 * The Electron main process: one window with the renderer, locked down (context isolation,
 * sandbox, no Node in the page, a strict CSP, no navigation, no new windows, no permissions),
 * and one IPC handler per method of the api contract (app/api/contract.ts), each answering only
 * the app's own page by calling the same service the browser host serves; job events go to the
 * app's windows on `api:job-event`. Long jobs run in utility processes (job-process.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, session, type IpcMainInvokeEvent, type OpenDialogOptions } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY_HEADER } from '../app/api/csp.js';
import { API_METHODS, JOB_EVENT_CHANNEL, OPEN_DIALOG_CHANNEL, ipcChannel, type ApiMethod, type JobEvent, type OpenDialogRequest } from './ipc-contract.js';
import { isTrustedSenderUrl } from './sender-check.js';
import { createService } from '../app/api/service.js';
import { errorMessage } from '../app/api/jobs.js';
import { desktopJobHost } from './job-process.js';

// Built layout: out/main/index.js, out/preload/index.cjs, out/renderer/index.html.
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererFile = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
/** `electron-vite dev` serves the renderer over HTTP and names it here; a build loads the file. */
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const rendererUrl = devServerUrl ?? pathToFileURL(rendererFile).href;

function sendJobEvent(e: JobEvent): void {
  for (const win of BrowserWindow.getAllWindows()) {
    if (!win.webContents.isDestroyed()) win.webContents.send(JOB_EVENT_CHANNEL, e);
  }
}

/** Registers every api method; calls from anything but the app's own page are refused. */
function handleApi(): void {
  // The build bundles main into out/main/; the job worker is loaded from the sources beside it.
  const worker = fileURLToPath(new URL('../../app/api/job-worker-boot.mjs', import.meta.url));
  const service = createService({ emit: sendJobEvent, version: app.getVersion(), jobs: desktopJobHost(worker) });
  for (const method of API_METHODS) {
    const answer = service[method as ApiMethod] as (req: unknown) => Promise<unknown>;
    ipcMain.handle(ipcChannel(method), async (event: IpcMainInvokeEvent, req: unknown) => {
      if (!isTrustedSenderUrl(event.senderFrame?.url, rendererUrl)) {
        throw new Error(`IPC ${method} refused: the sender is not this app's page.`);
      }
      try {
        return await answer(req);
      } catch (e) {
        // Only the message crosses IPC; it is one readable sentence.
        throw new Error(errorMessage(e));
      }
    });
  }
}

/** Electron's open dialog options for choosing a model file or a folder. */
function openDialogOptions(req: OpenDialogRequest): OpenDialogOptions {
  if (req?.kind === 'folder') return { title: req.title ?? 'Choose a folder', properties: ['openDirectory'] };
  return {
    title: req?.title ?? 'Open a model',
    properties: ['openFile'],
    filters: [
      { name: 'Models (.seprune, .onnx, TF.js model.json)', extensions: ['seprune', 'onnx', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
}

/** The native open dialog, for the app's own page only; resolves the chosen path or null. */
function handleDialogs(): void {
  ipcMain.handle(OPEN_DIALOG_CHANNEL, async (event: IpcMainInvokeEvent, req: unknown) => {
    if (!isTrustedSenderUrl(event.senderFrame?.url, rendererUrl)) {
      throw new Error('IPC showOpenDialog refused: the sender is not this app\'s page.');
    }
    const options = openDialogOptions(req as OpenDialogRequest);
    const win = BrowserWindow.fromWebContents(event.sender);
    const r = await (win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options));
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
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

  handleApi();
  handleDialogs();

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
