/**
 * The preload (sandboxed, context-isolated): exposes the contract's calls as named functions on
 * `window.api`, plus a job-event subscription and the desktop calls (the native open and save dialogs, and
 * the path of a dropped file, which a sandboxed page cannot read itself). The page never sees ipcRenderer itself, so it can
 * call nothing but these.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { API_METHODS, JOB_EVENT_CHANNEL, OPEN_DIALOG_CHANNEL, SAVE_DIALOG_CHANNEL, ipcChannel, type JobEvent, type OpenDialogRequest, type RendererApi, type SaveDialogRequest } from './ipc-contract.js';

const calls: Record<string, (req?: unknown) => Promise<unknown>> = {};
for (const m of API_METHODS) calls[m] = (req?: unknown) => ipcRenderer.invoke(ipcChannel(m), req);

const api = {
  ...calls,
  onJobEvent(listener: (e: JobEvent) => void): () => void {
    const wrapped = (_event: IpcRendererEvent, e: unknown): void => listener(e as JobEvent);
    ipcRenderer.on(JOB_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(JOB_EVENT_CHANNEL, wrapped);
    };
  },
  desktop: {
    showOpenDialog: (req: OpenDialogRequest) => ipcRenderer.invoke(OPEN_DIALOG_CHANNEL, req),
    showSaveDialog: (req: SaveDialogRequest) => ipcRenderer.invoke(SAVE_DIALOG_CHANNEL, req),
    // No instanceof check: a File from the page's world is not an instance of this world's File.
    pathForFile: (file: Blob): string => {
      try {
        return webUtils.getPathForFile(file as File);
      } catch {
        return '';
      }
    },
  },
} as unknown as RendererApi;

contextBridge.exposeInMainWorld('api', api);
