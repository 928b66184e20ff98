/** Synthetic training data for the trainer's tests: class k lights up quadrant k of an 8×8 image (plus noise), so a small net can learn it. */
import { Rng } from '../model/random.js';

export const [QUAD_H, QUAD_W] = [8, 8];

export function quadrantImages(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const [H, W] = [QUAD_H, QUAD_W];
  const rng = new Rng(seed);
  const x = new Float32Array(n * H * W);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 4;
    y[i] = k;
    for (let r = 0; r < H; r++)
      for (let c = 0; c < W; c++) {
        const q = (r < H / 2 ? 0 : 2) + (c < W / 2 ? 0 : 1);
        x[i * H * W + r * W + c] = (q === k ? 1 : 0) + 0.3 * rng.normal();
      }
  }
  return { x, y };
}
