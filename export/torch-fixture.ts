/**
 * Bench and test images for the PyTorch networks of tools/torchnets.py, which were trained on
 * Normalize(0.2860, 0.3530) THEN Pad(2): the shipped Fashion-MNIST 28×28 images normalised by
 * app/data, then zero-padded to 32×32 here (a zero in the normalised tensor is exactly what
 * torchvision's Pad after Normalize writes).
 */
import { shippedFashion } from './test-support.js';
import type { EvalBatch } from './verify/measure.js';

export const TORCH_MEAN = 0.286;
export const TORCH_STD = 0.353;

/** [n, 28, 28, 1] → [n, 32, 32, 1] with `pad` zeros on every side. */
export function padBatch(b: EvalBatch, pad = 2, size = 28): EvalBatch {
  const s = size + 2 * pad;
  const x = new Float32Array(b.n * s * s);
  for (let i = 0; i < b.n; i++)
    for (let r = 0; r < size; r++) x.set(b.x.subarray((i * size + r) * size, (i * size + r + 1) * size), (i * s + r + pad) * s + pad);
  return { ...b, x };
}

/** Class-balanced shipped Fashion-MNIST images preprocessed as the torchnets models were trained. */
export async function torchFashion(split: 'train' | 'test', limit: number): Promise<EvalBatch[]> {
  const batches = await shippedFashion({ mean: [TORCH_MEAN], std: [TORCH_STD], channels: 1 }, split, limit);
  return batches.map((b) => padBatch(b));
}
