/**
 * The native dialogs' options, pure so they are unit-tested without Electron: open a model or a
 * folder, save the session as a .seprune (the dialog asks before replacing a file), and the
 * question asked when the page has unsaved work and the window is closed or reloaded.
 */
import type { MessageBoxSyncOptions, OpenDialogOptions, SaveDialogOptions } from 'electron';
import { openableExtensions, openableFormats } from '../app/workflows/open-model-file.js';
import type { OpenDialogRequest, SaveDialogRequest } from '../app/api/contract.js';

/** Electron's open dialog options for choosing a model file or a folder. */
export function openDialogOptions(req: OpenDialogRequest | undefined): OpenDialogOptions {
  if (req?.kind === 'folder') return { title: req.title ?? 'Choose a folder', properties: ['openDirectory'] };
  return {
    title: req?.title ?? 'Open a model',
    properties: ['openFile'],
    filters: [
      { name: `Models (${openableFormats().map((f) => f.name).join(', ')})`, extensions: openableExtensions().map((e) => e.slice(1)) },
      { name: 'All files', extensions: ['*'] },
    ],
  };
}

/** Electron's save dialog options for the session's .seprune; only a string path is taken from the page. */
export function saveDialogOptions(req: SaveDialogRequest | undefined): SaveDialogOptions {
  const start = typeof req?.defaultPath === 'string' && req.defaultPath ? req.defaultPath : 'session.seprune';
  return {
    title: typeof req?.title === 'string' ? req.title : 'Save the session',
    defaultPath: start,
    filters: [{ name: 'SE Prune Studio project (.seprune)', extensions: ['seprune'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
}

/** The chosen save path with the .seprune ending the filter promises (Linux dialogs may leave it off); null when cancelled. */
export function savedPath(r: { canceled: boolean; filePath?: string }): string | null {
  if (r.canceled || !r.filePath) return null;
  return /\.seprune$/i.test(r.filePath) ? r.filePath : `${r.filePath}.seprune`;
}

/** Asked when the page has unsaved work and is about to go; button 0 leaves. */
export const UNSAVED_QUESTION: MessageBoxSyncOptions = {
  type: 'question',
  buttons: ['Leave without saving', 'Stay'],
  defaultId: 1,
  cancelId: 1,
  title: 'Unsaved work',
  message: 'The session has work that is not saved.',
  detail: 'Statistics, prunes and fine-tunes since the last Save are lost when the window goes. Stay and press Save to keep them.',
};
