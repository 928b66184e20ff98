/**
 * ImageFolder reader (torchvision's layout): one subfolder per class, class index = position of
 * the folder name in sorted order, images found recursively inside each class folder. A folder
 * with `train/` and `test/` (or `val/`) subfolders selects the split from them. Only paths and
 * labels are listed up front; images are decoded one at a time as batches are read. A file that
 * does not decode is skipped and reported by name. When the pipeline's output size follows the
 * input's, each image's header decides whether it fits the model (others are skipped, with a
 * summary; fewer than half fitting is an error).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { UserError } from '../model/errors.js';
import { batchedDataset, type Loaded } from './batched.js';
import type { DataOptions, Dataset, DatasetReader } from './types.js';
import { decodeImage, imageSize } from './decode.js';
import { checkPreprocessing, preprocessedShape } from './preprocess.js';
import { fixedPipelineSize, pipelineOf } from './transform.js';

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
  const warnings: string[] = emptyClasses.length
    ? [`Class folder${emptyClasses.length === 1 ? '' : 's'} ${emptyClasses.join(', ')} in ${root} hold${emptyClasses.length === 1 ? 's' : ''} no images.`]
    : [];

  // One image at a time: decoded, preprocessed, dropped before the next (batchedDataset, loadChunk 1).
  const load = async (indices: number[]): Promise<Loaded[]> => {
    const out: Loaded[] = [];
    for (const i of indices) out.push(await decodeImage(paths[i]).catch((e: unknown): Loaded => ({ error: e instanceof Error ? e.message : String(e) })));
    return out;
  };

  const p = o.preprocess;
  const fixed = fixedPipelineSize(pipelineOf(p));
  let sampleShape: [number, number, number];
  let kept = paths.map((_, i) => i);
  let sizeSkipped: Dataset['sizeSkipped'];
  if (fixed) sampleShape = [fixed[0], fixed[1], p.channels];
  else if (o.inputShape) {
    // The output size follows each image's size: keep those that come out as the model's input.
    sampleShape = [o.inputShape[0], o.inputShape[1], p.channels];
    const sizes = await mapPool(paths, 8, imageSize);
    const misfits = new Map<string, number>();
    kept = [];
    sizes.forEach((sz, i) => {
      const [h, w] = sz ? preprocessedShape(sz.h, sz.w, p) : sampleShape;
      if (h === sampleShape[0] && w === sampleShape[1]) kept.push(i);
      else misfits.set(`${sz!.h}×${sz!.w}`, (misfits.get(`${sz!.h}×${sz!.w}`) ?? 0) + 1);
    });
    if (misfits.size) {
      const list = [...misfits.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
      const shown = list.length > 4 ? `${list.slice(0, 4).join(', ')} and ${list.length - 4} other sizes` : list.length > 1 ? `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}` : list[0];
      const count = paths.length - kept.length;
      const target = `${sampleShape[0]}×${sampleShape[1]}`;
      const fix = `add Resize(${sampleShape[0]}) and CenterCrop(${sampleShape[0]}) to the transform (or --resize ${sampleShape[0]} --center-crop ${sampleShape[0]})`;
      if (kept.length * 2 < paths.length) {
        throw new UserError(`Only ${kept.length} of ${paths.length} images in ${root} come out ${target} after preprocessing (${shown} do not fit); ${fix}.`);
      }
      sizeSkipped = { count, of: paths.length, sizes: list };
      warnings.push(`skipped ${count} of ${paths.length} images: ${shown} do${list.length === 1 ? 'es' : ''} not fit ${target}; ${fix}.`);
    }
  } else {
    // No model to match: the first image that decodes decides; others of another size are skipped.
    let found: [number, number, number] | undefined;
    for (let i = 0; i < paths.length && !found; i++) {
      const [got] = await load([i]);
      if (!('error' in got)) found = preprocessedShape(got.h, got.w, p);
    }
    if (!found) throw new UserError(`None of the ${paths.length} images in ${root} could be decoded.`);
    sampleShape = found;
  }
  const keptPaths = kept.map((i) => paths[i]);
  const keptLabels = Int32Array.from(kept, (i) => labelList[i]);

  return batchedDataset({
    name: basename(dir),
    source: root,
    split,
    classes,
    labels: keptLabels,
    sampleShape,
    preprocess: p,
    id: (i) => keptPaths[i],
    load: (indices) => load(indices.map((i) => kept[i])),
    loadChunk: 1,
    // Without train/ and test/ folders both splits are the same folder, hence the same images.
    images: root,
    warnings,
    ...(sizeSkipped ? { sizeSkipped } : {}),
  });
}

/** `f` over `items` with at most `n` calls in flight; results in order. */
async function mapPool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

export const imageFolderReader: DatasetReader = {
  name: 'image-folder',
  match: (dir) => existsSync(dir) && isDir(dir),
  open: openImageFolder,
};
