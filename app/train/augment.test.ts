/** Augmentation: each output image is exactly one flip/shift of its input (checked against a reference), seeded and reproducible. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../model/random.js';
import { augmentBatch } from './augment.js';

const [N, H, W, C] = [40, 5, 6, 2];

/** Reference: image i flipped (mirror x) and then read at (y + dy, x + dx), fill outside. */
function ref(x: Float32Array, i: number, flip: boolean, dy: number, dx: number, fill: number[]): Float32Array {
  const out = new Float32Array(H * W * C);
  for (let y = 0; y < H; y++)
    for (let xx = 0; xx < W; xx++)
      for (let k = 0; k < C; k++) {
        const sy = y + dy;
        const sxFlipped = xx + dx;
        const inside = sy >= 0 && sy < H && sxFlipped >= 0 && sxFlipped < W;
        out[(y * W + xx) * C + k] = inside ? x[i * H * W * C + (sy * W + (flip ? W - 1 - sxFlipped : sxFlipped)) * C + k] : fill[k];
      }
  return out;
}

test('flip and shift: every image is one of the allowed transforms, all of them occur, and a seed repeats', () => {
  const x = new Rng(3).normalArray(N * H * W * C, 1);
  const fill = [-0.5, 0.25];
  const o = { flip: true, shift: 1, fill };
  const a = augmentBatch(x, [N, H, W, C], o, new Rng(11));
  const b = augmentBatch(x, [N, H, W, C], o, new Rng(11));
  assert.deepEqual(a, b, 'same seed, same batch');
  const seen = new Set<string>();
  for (let i = 0; i < N; i++) {
    const got = a.subarray(i * H * W * C, (i + 1) * H * W * C);
    const matches: string[] = [];
    for (const flip of [false, true])
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const r = ref(x, i, flip, dy, dx, fill);
          if (r.every((v, j) => v === got[j])) matches.push(`${flip}:${dy}:${dx}`);
        }
    assert.equal(matches.length, 1, `image ${i} matches exactly one transform (got ${matches.length})`);
    seen.add(matches[0].split(':')[0]);
  }
  assert.equal(seen.size, 2, 'both flipped and unflipped images occur');
  const none = augmentBatch(x, [N, H, W, C], { flip: false, shift: 0 }, new Rng(1));
  assert.deepEqual(none, x, 'no flip and no shift is the identity');
});
