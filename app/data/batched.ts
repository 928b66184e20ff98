/**
 * Builds a Dataset from a per-format loader of raw images: batching, preprocessing, skipping of
 * images that do not decode, have an out-of-range label or the wrong size after preprocessing.
 */
import type { Preprocessing } from '../model/ir.js';
import { UserError } from '../model/errors.js';
import type { Batch, Dataset } from './types.js';
import { preprocess, preprocessedShape, type RawImage } from './preprocess.js';

/** A raw image, or why it could not be read. */
export type Loaded = RawImage | { error: string };

export interface BatchedSpec {
  name: string;
  source: string;
  split: 'train' | 'test';
  classes: string[];
  /** Per record; −1 = out of range (reported as skipped). */
  labels: Int32Array;
  /** Raw (label before validation) values for the skip reason, optional. */
  rawLabel?: (i: number) => number;
  sampleShape: [number, number, number];
  preprocess: Preprocessing;
  id(i: number): string;
  /** Reads the raw images for these indices (same order). */
  load(indices: number[]): Promise<Loaded[]>;
  /**
   * How many images `load` is asked for at once (default: the whole batch). 1 for decoded files:
   * each is decoded and preprocessed before the next is read, so memory holds one raw image.
   */
  loadChunk?: number;
  warnings?: string[];
  sizeSkipped?: Dataset['sizeSkipped'];
  /** See Dataset.images (default: source and split). */
  images?: string;
}

export function batchedDataset(s: BatchedSpec): Dataset {
  const [H, W, C] = s.sampleShape;
  const per = H * W * C;
  async function* batches(indices: number[], batchSize: number): AsyncIterable<Batch> {
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new UserError(`Batch size must be a positive integer, not ${batchSize}.`);
    for (const i of indices) {
      if (!(Number.isInteger(i) && i >= 0 && i < s.labels.length)) {
        throw new Error(`Index ${i} is outside the dataset (size ${s.labels.length}).`);
      }
    }
    for (let b = 0; b < indices.length; b += batchSize) {
      const chunk = indices.slice(b, b + batchSize);
      const skipped: Batch['skipped'] = [];
      const wanted = chunk.filter((i) => {
        if (s.labels[i] >= 0) return true;
        const raw = s.rawLabel ? ` ${s.rawLabel(i)}` : '';
        skipped.push({ id: s.id(i), reason: `label${raw} is outside the ${s.classes.length} classes` });
        return false;
      });
      const images: Float32Array[] = [];
      const ys: number[] = [];
      const ids: string[] = [];
      const step = s.loadChunk ?? Math.max(wanted.length, 1);
      for (let k0 = 0; k0 < wanted.length; k0 += step) {
        const part = wanted.slice(k0, k0 + step);
        const loaded = await s.load(part);
        part.forEach((i, k) => {
          const img = loaded[k];
          if ('error' in img) {
            skipped.push({ id: s.id(i), reason: img.error });
            return;
          }
          const [h, w] = preprocessedShape(img.h, img.w, s.preprocess);
          if (h !== H || w !== W) {
            skipped.push({ id: s.id(i), reason: `it is ${img.h}×${img.w}, which the preprocessing makes ${h}×${w}, not ${H}×${W} (add Resize or CenterCrop)` });
            return;
          }
          images.push(preprocess(img, s.preprocess));
          ys.push(s.labels[i]);
          ids.push(s.id(i));
        });
      }
      const x = new Float32Array(images.length * per);
      images.forEach((im, k) => x.set(im, k * per));
      yield { x, y: Int32Array.from(ys), ids, skipped };
    }
  }
  return {
    name: s.name,
    source: s.source,
    split: s.split,
    classes: s.classes,
    size: s.labels.length,
    sampleShape: s.sampleShape,
    batches,
    labels: async () => s.labels.slice(),
    ...(s.warnings && s.warnings.length ? { warnings: s.warnings } : {}),
    ...(s.sizeSkipped ? { sizeSkipped: s.sizeSkipped } : {}),
    images: s.images ?? `${s.source}#${s.split}`,
  };
}

/** Validates raw labels against the class count: out-of-range become −1; returns a warning if any. */
export function checkLabels(raw: ArrayLike<number>, classes: number, where: string): { labels: Int32Array; warning?: string } {
  const labels = new Int32Array(raw.length);
  let bad = 0;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (v >= 0 && v < classes) labels[i] = v;
    else {
      labels[i] = -1;
      bad++;
    }
  }
  return bad
    ? { labels, warning: `${bad} record${bad === 1 ? '' : 's'} in ${where} ha${bad === 1 ? 's a label' : 've labels'} outside the ${classes} classes and will be skipped.` }
    : { labels };
}
