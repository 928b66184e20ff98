/**
 * A {@link Dataset} over images already in memory (NHWC Float32Array + labels): for tests,
 * benchmarks and re-using a decoded calibration set without touching the disk again.
 */
import type { Batch, Dataset } from '../data/types.js';

export function memoryDataset(
  images: Float32Array,
  labels: Int32Array,
  sampleShape: [number, number, number],
  classes: number | string[],
  name = 'memory',
): Dataset {
  const per = sampleShape[0] * sampleShape[1] * sampleShape[2];
  if (images.length !== labels.length * per) {
    throw new Error(`memoryDataset: ${labels.length} labels need ${labels.length * per} image values, got ${images.length}`);
  }
  const names = typeof classes === 'number' ? Array.from({ length: classes }, (_, i) => String(i)) : classes;
  return {
    name,
    source: 'memory',
    split: 'train',
    classes: names,
    size: labels.length,
    sampleShape,
    async *batches(indices: number[], batchSize: number): AsyncIterable<Batch> {
      for (let s = 0; s < indices.length; s += batchSize) {
        const idx = indices.slice(s, s + batchSize);
        const x = new Float32Array(idx.length * per);
        const y = new Int32Array(idx.length);
        idx.forEach((i, k) => {
          x.set(images.subarray(i * per, (i + 1) * per), k * per);
          y[k] = labels[i];
        });
        yield { x, y, ids: idx.map((i) => `${name}#${i}`), skipped: [] };
      }
    },
    async labels() {
      return labels;
    },
  };
}
