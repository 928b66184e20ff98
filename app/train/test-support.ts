/** Shared by the trainer's tests: synthetic images a small net can learn, and a graph's weights as one list. */
import { type Graph, nodeWeights } from '../model/ir.js';
import { Rng } from '../model/random.js';

export const [QUAD_H, QUAD_W] = [8, 8];

/** Class k lights up quadrant k of an 8×8 image (plus noise). */
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

/** Every weight array of `g`, in node order. */
export function weightsOf(g: Graph): Float32Array[] {
  return g.nodes.flatMap((n) => nodeWeights(n).map(([, w]) => w));
}
