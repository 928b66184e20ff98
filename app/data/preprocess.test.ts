/** Preprocessing against Pillow (fixture made with Pillow 9.4 resize/convert) and torchvision rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { centerCrop, preprocess, preprocessedShape, resizeBilinear, resizedSize, toChannels, type RawImage } from './preprocess.js';
import { openDataset } from './index.js';
import { SHIPPED_FASHION_MNIST } from './builtin.js';

interface Fixture {
  cases: { h: number; w: number; c: number; data: number[]; gray?: number[]; resized: { h: number; w: number; data: number[] }[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/pillow-resize.json', import.meta.url), 'utf8')) as Fixture;

test('bilinear resize matches Pillow bit for bit (down, up, one axis)', () => {
  let checked = 0;
  for (const c of fixture.cases) {
    const img: RawImage = { data: Uint8Array.from(c.data), h: c.h, w: c.w, c: c.c };
    for (const r of c.resized) {
      const out = resizeBilinear(img, r.h, r.w);
      assert.equal(out.h, r.h);
      assert.equal(out.w, r.w);
      assert.deepEqual(Array.from(out.data), r.data, `${c.h}×${c.w}×${c.c} → ${r.h}×${r.w}`);
      checked++;
    }
  }
  assert.equal(checked, 9);
});

test('RGB → gray matches Pillow convert("L"), gray → RGB repeats', () => {
  const c = fixture.cases.find((x) => x.gray)!;
  const img: RawImage = { data: Uint8Array.from(c.data), h: c.h, w: c.w, c: 3 };
  assert.deepEqual(Array.from(toChannels(img, 1).data), c.gray);
  const g: RawImage = { data: Uint8Array.from([0, 17, 255]), h: 1, w: 3, c: 1 };
  assert.deepEqual(Array.from(toChannels(g, 3).data), [0, 0, 0, 17, 17, 17, 255, 255, 255]);
  // Gray → RGB → gray is the identity, as in PIL.
  assert.deepEqual(Array.from(toChannels(toChannels(g, 3), 1).data), [0, 17, 255]);
});

test('Resize(int) sizes follow torchvision (shorter side, long side truncated)', () => {
  assert.deepEqual(resizedSize(375, 500, 256), [256, Math.trunc((256 * 500) / 375)]);
  assert.deepEqual(resizedSize(500, 375, 256), [Math.trunc((256 * 500) / 375), 256]);
  assert.deepEqual(resizedSize(28, 28, 32), [32, 32]);
  assert.deepEqual(preprocessedShape(375, 500, { resize: 256, centerCrop: 224, pad: 2, mean: [0], std: [1], channels: 3 }), [228, 228, 3]);
});

test('CenterCrop uses round-half-even offsets and zero-pads a smaller image', () => {
  // 5 wide → crop 2: (5 − 2) / 2 = 1.5 → 2 (half to even); 6 → 3: 1.5 → 2; 7 → 2: 2.5 → 2.
  const row = (w: number): RawImage => ({ data: Uint8Array.from({ length: w }, (_, i) => i), h: 1, w, c: 1 });
  assert.deepEqual(Array.from(centerCrop(row(5), 1, 2).data), [2, 3]);
  assert.deepEqual(Array.from(centerCrop(row(6), 1, 3).data), [2, 3, 4]);
  assert.deepEqual(Array.from(centerCrop(row(7), 1, 2).data), [2, 3]);
  // 2 wide → crop 5: pads left (5−2)//2 = 1, right 2.
  assert.deepEqual(Array.from(centerCrop({ data: Uint8Array.from([9, 8]), h: 1, w: 2, c: 1 }, 1, 5).data), [0, 9, 8, 0, 0]);
});

test('Normalize takes one value or one per channel', () => {
  const img: RawImage = { data: Uint8Array.from([255, 0, 51]), h: 1, w: 1, c: 3 };
  const x = preprocess(img, { mean: [0.5, 0, 0.1], std: [0.5, 1, 0.2], channels: 3 });
  assert.ok(Math.abs(x[0] - 1) < 1e-6);
  assert.ok(Math.abs(x[1] - 0) < 1e-6);
  assert.ok(Math.abs(x[2] - (0.2 - 0.1) / 0.2) < 1e-6);
});

/** Reads an IDX .gz independently of the reader under test. */
function rawIdx(path: string): Uint8Array {
  const b = gunzipSync(readFileSync(path));
  return b.subarray(4 + 4 * b[3]);
}

test('Fashion-MNIST with Pad(2) + Normalize(0.2860, 0.3530) gives (x/255 − 0.286)/0.353 inside, the normalized 0 outside', async () => {
  const pre = { pad: 2, mean: [0.286], std: [0.353], channels: 1 as const };
  const ds = await openDataset({ data: 'fashion-mnist', split: 'test', dataDir: SHIPPED_FASHION_MNIST, preprocess: pre });
  assert.deepEqual(ds.sampleShape, [32, 32, 1]);
  const raw = rawIdx(`${SHIPPED_FASHION_MNIST}/t10k-images-idx3-ubyte.gz`);
  const idx = [0, 1, 1234, ds.size - 1];
  const border = (0 - 0.286) / 0.353;
  let seen = 0;
  for await (const b of ds.batches(idx, 3)) {
    for (let k = 0; k < b.y.length; k++) {
      const i = idx[seen++];
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const got = b.x[k * 1024 + y * 32 + x];
          const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
          const want = inside ? (raw[i * 784 + (y - 2) * 28 + (x - 2)] / 255 - 0.286) / 0.353 : border;
          assert.ok(Math.abs(got - want) < 1e-5, `image ${i} (${y},${x}): ${got} vs ${want}`);
        }
      }
    }
  }
  assert.equal(seen, idx.length);
});
