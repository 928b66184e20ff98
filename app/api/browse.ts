/**
 * The file/folder browser behind the app's "Open…" and "Choose folder…" dialogs (browser mode,
 * where a page cannot learn local paths, and Electron when no native dialog is available).
 * Read-only: it lists names, kinds and sizes of one folder and never reads a file's contents.
 * It lists folders, plus model files (.seprune, .onnx, .json) when a model is being chosen; names
 * starting with a dot only when asked. Every failure is one sentence.
 */
import { existsSync, readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { UserError } from '../model/errors.js';
import { READERS } from '../data/index.js';
import { IMAGE_EXTENSIONS } from '../data/image-folder.js';
import { SYSTEM_FASHION_MNIST } from '../data/builtin.js';
import type { BrowseEntry, BrowseListing, BrowseRequest } from './contract.js';
import { openableExtensions } from '../workflows/open-model-file.js';

/** The most entries one listing returns. */
export const MAX_ENTRIES = 2000;

const isModelFile = (name: string): boolean => openableExtensions().includes(extname(name).toLowerCase());

function safeStat(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/** The dataset format `dir` would open as, or null: IDX or CIFAR by file names, ImageFolder when a class folder holds images. */
export function datasetKind(dir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  for (const r of READERS) {
    if (r.name === 'image-folder') continue;
    try {
      if (r.match(dir)) return r.name;
    } catch {
      // an unreadable folder is no dataset
    }
  }
  const sub = names.filter((n) => !n.startsWith('.') && safeStat(join(dir, n))?.isDirectory()).sort();
  if (sub.length === 0) return null;
  // train/ and test/ split folders: look one level further.
  const split = sub.find((n) => n === 'train' || n === 'test' || n === 'val');
  const classDir = split ? join(dir, split) : dir;
  const classes = split ? (readdirSafe(classDir).filter((n) => !n.startsWith('.') && safeStat(join(classDir, n))?.isDirectory()).sort()) : sub;
  if (classes.length < 2) return null;
  const first = readdirSafe(join(classDir, classes[0])).slice(0, 200);
  return first.some((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())) ? 'image-folder' : null;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Where a dialog can start from. */
export function places(): { label: string; path: string }[] {
  const out = [
    { label: 'Home', path: homedir() },
    { label: 'Working folder', path: process.cwd() },
    { label: 'System datasets', path: dirname(SYSTEM_FASHION_MNIST) },
    { label: 'Root', path: resolve('/') },
  ];
  const seen = new Set<string>();
  return out.filter((p) => existsSync(p.path) && !seen.has(p.path) && !!seen.add(p.path));
}

/** Lists one folder (see the file comment). */
export function browse(req: BrowseRequest): BrowseListing {
  if (req?.kind !== 'model' && req?.kind !== 'folder') throw new UserError('Say what to choose: a model file or a folder.');
  const raw = req.path?.trim() || homedir();
  if (raw.includes('\0')) throw new UserError('That path is not valid.');
  const path = resolve(raw);
  const st = safeStat(path);
  if (!st) throw new UserError(`The folder ${path} does not exist.`);
  if (!st.isDirectory()) throw new UserError(`${path} is a file, not a folder.`);
  let dirents: Dirent[];
  try {
    dirents = readdirSync(path, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'EACCES' || code === 'EPERM' ? `You may not read the folder ${path} (permission denied).` : `The folder ${path} cannot be read.`);
  }
  const folders: BrowseEntry[] = [];
  const files: BrowseEntry[] = [];
  for (const d of dirents) {
    if (!req.hidden && d.name.startsWith('.')) continue;
    const p = join(path, d.name);
    // Links are followed (a link to a folder is a folder); broken links are left out.
    const isDir = d.isDirectory() || (d.isSymbolicLink() && !!safeStat(p)?.isDirectory());
    if (isDir) folders.push({ name: d.name, path: p, type: 'folder' });
    else if (req.kind === 'model' && isModelFile(d.name)) {
      const s = safeStat(p);
      if (s?.isFile()) files.push({ name: d.name, path: p, type: 'model', bytes: s.size });
    }
  }
  const byName = (a: BrowseEntry, b: BrowseEntry): number => a.name.localeCompare(b.name, 'en');
  const entries = [...folders.sort(byName), ...files.sort(byName)];
  const parent = dirname(path);
  return {
    path,
    parent: parent === path ? null : parent,
    entries: entries.slice(0, MAX_ENTRIES),
    truncated: entries.length > MAX_ENTRIES,
    dataset: datasetKind(path),
    places: places(),
  };
}
