/**
 * The preload (sandboxed, context-isolated): exposes the contract's calls as named functions on
 * `window.api`, plus a job-event subscription. The page never sees ipcRenderer itself, so it can
 * call nothing but these.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, JOB_EVENT_CHANNEL, ipcChannel, type JobEvent, type RendererApi } from './ipc-contract.js';

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
} as unknown as RendererApi;

contextBridge.exposeInMainWorld('api', api);
