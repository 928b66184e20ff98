/**
 * The Electron main process: one window with the renderer, locked down (context isolation,
 * sandbox, no Node in the page, a strict CSP, pages from its own `app://renderer` origin, no
 * navigation, redirects or frame navigation away from it, no webviews, no new windows, no
 * permissions),
 * and one IPC handler per method of the api contract (app/api/contract.ts), each answering only
 * the app's own page by calling the same service the browser host serves; job events go to the
 * app's windows on `api:job-event`. Long jobs run in utility processes (job-process.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, type IpcMainInvokeEvent } from 'electron';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY_HEADER } from '../app/api/csp.js';
import { API_METHODS, JOB_EVENT_CHANNEL, OPEN_DIALOG_CHANNEL, SAVE_DIALOG_CHANNEL, ipcChannel, type ApiMethod, type JobEvent, type OpenDialogRequest, type SaveDialogRequest } from './ipc-contract.js';
import { isTrustedSenderUrl } from './sender-check.js';
import { APP_INDEX_URL, APP_SCHEME, appUrlToFile, contentType } from './app-protocol.js';
import { devRendererUrl } from './dev-server.js';
import { guardWindow } from './window-guards.js';
import { createService } from '../app/api/service.js';
import { openDialogOptions, saveDialogOptions, savedPath, UNSAVED_QUESTION } from './dialog-options.js';
import { errorMessage } from '../app/api/jobs.js';
import { checkRequest } from '../app/api/request-shape.js';
import { desktopJobHost } from './job-process.js';

// Built layout: out/main/index.js, out/preload/index.cjs, out/renderer/index.html.
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererDir = dirname(fileURLToPath(new URL('../renderer/index.html', import.meta.url)));
/** `electron-vite dev` serves the renderer over HTTP (development builds only); else app://renderer. */
const devServerUrl = devRendererUrl(process.env.ELECTRON_RENDERER_URL, app.isPackaged);
const rendererUrl = devServerUrl ?? APP_INDEX_URL;
const isAppPage = (url: string): boolean => isTrustedSenderUrl(url, rendererUrl);

// Before `ready`: app:// is a standard, secure scheme with fetch, like https for the page.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

/** Serves the built renderer folder on app://renderer/, with the CSP on every response. */
function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request: Request) => {
    const file = appUrlToFile(request.url, rendererDir);
    if (!file) return new Response('Not found', { status: 404 });
    const r = await net.fetch(pathToFileURL(file).href).catch(() => null);
    if (!r || !r.ok) return new Response('Not found', { status: 404 });
    return new Response(r.body, {
      status: 200,
      headers: { 'Content-Type': contentType(file), 'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER, 'X-Content-Type-Options': 'nosniff' },
    });
  });
}

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
  // Stops the jobs and removes the models set aside on disk.
  app.on('will-quit', () => service.close());
  for (const method of API_METHODS) {
    const answer = service[method as ApiMethod] as (req: unknown) => Promise<unknown>;
    ipcMain.handle(ipcChannel(method), async (event: IpcMainInvokeEvent, req: unknown) => {
      if (!event.senderFrame || !isAppPage(event.senderFrame.url)) {
        throw new Error(`IPC ${method} refused: the sender is not this app's page.`);
      }
      try {
        return await answer(checkRequest(method, req));
      } catch (e) {
        // Only the message crosses IPC; it is one readable sentence.
        throw new Error(errorMessage(e));
      }
    });
  }
}

/** The native open and save dialogs, for the app's own page only; each resolves the chosen path or null. */
function handleDialogs(): void {
  ipcMain.handle(OPEN_DIALOG_CHANNEL, async (event: IpcMainInvokeEvent, req: unknown) => {
    if (!event.senderFrame || !isAppPage(event.senderFrame.url)) {
      throw new Error('IPC showOpenDialog refused: the sender is not this app\'s page.');
    }
    const options = openDialogOptions(req as OpenDialogRequest);
    const win = BrowserWindow.fromWebContents(event.sender);
    const r = await (win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options));
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
  });
  ipcMain.handle(SAVE_DIALOG_CHANNEL, async (event: IpcMainInvokeEvent, req: unknown) => {
    if (!event.senderFrame || !isAppPage(event.senderFrame.url)) {
      throw new Error('IPC showSaveDialog refused: the sender is not this app\'s page.');
    }
    const options = saveDialogOptions(req as SaveDialogRequest);
    const win = BrowserWindow.fromWebContents(event.sender);
    return savedPath(await (win ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options)));
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
  guardWindow(win.webContents, isAppPage);
  // The page refuses to go while it has unsaved work (beforeunload); Electron shows no question of its own.
  win.webContents.on('will-prevent-unload', (e) => {
    if (dialog.showMessageBoxSync(win, UNSAVED_QUESTION) === 0) e.preventDefault();
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(rendererUrl);
}

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY_HEADER] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  serveRenderer();

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
