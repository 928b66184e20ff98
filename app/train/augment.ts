/**
 * Seeded data augmentation on a batch of NHWC images held in a Float32Array (done in plain JS:
 * for the small images this tool trains on it is cheaper than tensor ops): random horizontal flip
 * (probability ½) and random shift, i.e. torchvision's RandomCrop(size, padding = shift): pad every
 * side by `shift` pixels with `fill` and crop a random window of the original size.
 */
import type { Rng } from '../model/random.js';

export interface AugmentOptions {
  flip: boolean;
  /** Maximum shift in pixels (the RandomCrop padding); 0 = none. */
  shift: number;
  /**
   * The value of padded pixels per channel (one value = every channel). Images arrive
   * normalised, so a black border is −mean/std; default 0.
   */
  fill?: number[];
}

/** A new array with each image of `x` ([n, h, w, c]) flipped and/or shifted at random. */
export function augmentBatch(x: Float32Array, shape: [number, number, number, number], o: AugmentOptions, rng: Rng): Float32Array {
  const [n, h, w, c] = shape;
  const out = new Float32Array(x.length);
  const per = h * w * c;
  const fill = Array.from({ length: c }, (_, k) => o.fill?.[o.fill.length === 1 ? 0 : k] ?? 0);
  for (let i = 0; i < n; i++) {
    // Draw in a fixed order (flip, dy, dx) so a seed gives the same batch whatever the options.
    const flip = o.flip && rng.next() < 0.5;
    const dy = o.shift > 0 ? rng.int(2 * o.shift + 1) - o.shift : 0;
    const dx = o.shift > 0 ? rng.int(2 * o.shift + 1) - o.shift : 0;
    const base = i * per;
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      for (let xo = 0; xo < w; xo++) {
        // Output (y, xo) reads source (y + dy, x' + dx) where x' is xo mirrored when flipping.
        const sx = (flip ? w - 1 - xo : xo) + dx;
        const o0 = base + (y * w + xo) * c;
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
          for (let k = 0; k < c; k++) out[o0 + k] = fill[k];
        } else {
          const s0 = base + (sy * w + sx) * c;
          for (let k = 0; k < c; k++) out[o0 + k] = x[s0 + k];
        }
      }
    }
  }
  return out;
}
