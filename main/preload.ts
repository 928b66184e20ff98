/**
 * The preload (sandboxed, context-isolated): exposes the contract's calls as named functions on
 * `window.api`. The page never sees ipcRenderer itself, so it can call nothing but these.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IPC, type RendererApi } from './ipc-contract.js';

const api: RendererApi = {
  version: () => ipcRenderer.invoke(IPC.appVersion) as ReturnType<RendererApi['version']>,
  zooList: () => ipcRenderer.invoke(IPC.zooList) as ReturnType<RendererApi['zooList']>,
};

contextBridge.exposeInMainWorld('api', api);
