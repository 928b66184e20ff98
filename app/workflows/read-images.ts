/**
 * Images read into memory in batches, once for every job that needs them whole (an export's
 * calibration and verification images), for the CLI and the app alike.
 */
import type { Dataset } from '../data/types.js';
import type { Progress } from '../util/progress.js';
import type { EvalBatch } from '../../export/verify/measure.js';

const BATCH = 64;

export interface ReadImages {
  batches: EvalBatch[];
  /** Which images were read (equal for two reads of the same images), and where they came from. */
  images: string;
  source: string;
  split: string;
}

/** Reads the images at `indices` (those the pipeline skips are left out), reporting progress as `label`. */
export async function readImages(ds: Dataset, indices: number[], progress: Pick<Progress, 'update'>, label: string): Promise<ReadImages> {
  const batches: EvalBatch[] = [];
  let done = 0;
  for await (const b of ds.batches(indices, BATCH)) {
    if (b.y.length) batches.push({ x: b.x, y: b.y, n: b.y.length });
    done += b.y.length + b.skipped.length;
    progress.update(label, done, indices.length);
  }
  return { batches, images: ds.images ?? `${ds.source}#${ds.split}`, source: ds.source, split: ds.split };
}
