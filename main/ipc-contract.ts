/**
 * The IPC side of the app's one contract (app/api/contract.ts): every api method is the channel
 * `api:<method>`, job events come on `api:job-event`. Re-exported here so main, the preload and
 * the renderer keep importing from one place. The desktop-only dialogs are `desktop:showOpenDialog` and `desktop:showSaveDialog`. Plain types and constants only: no Electron, no DOM.
 */
export {
  API_METHODS,
  JOB_EVENT_CHANNEL,
  OPEN_DIALOG_CHANNEL,
  SAVE_DIALOG_CHANNEL,
  ipcChannel,
  type ApiMethod,
  type ApiMethods,
  type JobEvent,
  type OpenDialogRequest,
  type SaveDialogRequest,
  type RendererApi,
  type ZooListItem,
} from '../app/api/contract.js';
