/**
 * ImageFolder reader (torchvision's layout): one subfolder per class, class index = position of
 * the folder name in sorted order, images found recursively inside each class folder. A folder
 * with `train/` and `test/` (or `val/`) subfolders selects the split from them. Only paths and
 * labels are listed up front; images are decoded per batch. A file that does not decode is
 * skipped and reported by name.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { UserError } from '../model/errors.js';
import { batchedDataset, type Loaded } from './batched.js';
import type { DataOptions, Dataset, DatasetReader } from './types.js';
import { decodeImage } from './decode.js';
import { checkPreprocessing, preprocessedShape } from './preprocess.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'];

const isImage = (name: string) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
const visible = (name: string) => !name.startsWith('.');

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function subfolders(dir: string): string[] {
  return readdirSync(dir).filter((n) => visible(n) && isDir(join(dir, n))).sort();
}

/** Image files under `dir`, recursively, sorted per folder (a stable, platform-independent order). */
function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).filter(visible).sort()) {
    const p = join(dir, name);
    if (isDir(p)) out.push(...listImages(p));
    else if (isImage(name)) out.push(p);
  }
  return out;
}

/** The folder holding the class folders for a split: `train/`, `test/` or `val/` when present. */
function splitRoot(dir: string, split: 'train' | 'test'): string {
  const hasTrain = isDir(join(dir, 'train'));
  const testName = ['test', 'val'].find((n) => isDir(join(dir, n)));
  if (!hasTrain && !testName) return dir;
  if (split === 'train') {
    if (!hasTrain) throw new UserError(`${dir} has a ${testName}/ folder but no train/ folder for the train split.`);
    return join(dir, 'train');
  }
  if (!testName) throw new UserError(`${dir} has a train/ folder but no test/ (or val/) folder for the test split.`);
  return join(dir, testName);
}

export async function openImageFolder(dir: string, o: DataOptions): Promise<Dataset> {
  checkPreprocessing(o.preprocess);
  const split = o.split ?? 'train';
  const root = splitRoot(dir, split);
  const entries = readdirSync(root).filter(visible);
  if (entries.length === 0) throw new UserError(`Dataset folder ${root} is empty.`);
  const classes = subfolders(root);
  if (classes.length === 0) {
    if (entries.some(isImage)) {
      throw new UserError(`${root} holds images but no class subfolders; put each class's images in a folder named after the class.`);
    }
    throw new UserError(`${root} has no class subfolders and no images.`);
  }
  const paths: string[] = [];
  const labelList: number[] = [];
  const emptyClasses: string[] = [];
  classes.forEach((cls, k) => {
    const files = listImages(join(root, cls));
    if (files.length === 0) emptyClasses.push(cls);
    for (const f of files) {
      paths.push(f);
      labelList.push(k);
    }
  });
  if (paths.length === 0) {
    throw new UserError(`${root} has class folders but no images in them (${IMAGE_EXTENSIONS.join(', ')}).`);
  }
  const warnings = emptyClasses.length
    ? [`Class folder${emptyClasses.length === 1 ? '' : 's'} ${emptyClasses.join(', ')} in ${root} hold${emptyClasses.length === 1 ? 's' : ''} no images.`]
    : [];

  const load = (indices: number[]): Promise<Loaded[]> =>
    Promise.all(
      indices.map((i) =>
        decodeImage(paths[i]).catch((e: unknown): Loaded => ({ error: e instanceof Error ? e.message : String(e) })),
      ),
    );

  let sampleShape: [number, number, number];
  if (o.preprocess.centerCrop) {
    sampleShape = preprocessedShape(o.preprocess.centerCrop, o.preprocess.centerCrop, o.preprocess);
  } else {
    // No crop: the shape is that of the first image that decodes; others of another size are skipped.
    let found: [number, number, number] | undefined;
    for (let i = 0; i < paths.length && !found; i += 16) {
      const got = await load(Array.from({ length: Math.min(16, paths.length - i) }, (_, k) => i + k));
      const img = got.find((g): g is Exclude<Loaded, { error: string }> => !('error' in g));
      if (img) found = preprocessedShape(img.h, img.w, o.preprocess);
    }
    if (!found) throw new UserError(`None of the ${paths.length} images in ${root} could be decoded.`);
    sampleShape = found;
  }

  return batchedDataset({
    name: basename(dir),
    source: root,
    split,
    classes,
    labels: Int32Array.from(labelList),
    sampleShape,
    preprocess: o.preprocess,
    id: (i) => paths[i],
    load,
    warnings,
  });
}

export const imageFolderReader: DatasetReader = {
  name: 'image-folder',
  match: (dir) => existsSync(dir) && isDir(dir),
  open: openImageFolder,
};
