/** The app's jobs read datasets as the CLI does: an image folder's classes meet the model's labels by name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openData } from './job-work.js';
import { errorMessage } from './jobs.js';
import type { DataChoice } from './contract.js';
import type { SessionModel } from './model-jobs.js';
import { FASHION_MNIST_CLASSES } from '../data/idx.js';

test('app jobs map an image folder to the labels the model stores, or use sorted order when asked; a mismatch names the app setting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-app-labels-'));
  try {
    const folders = ['Ankle_boot', 'Bag', 'Coat', 'Dress', 'Pullover', 'Sandal', 'Shirt', 'Sneaker', 'T-shirt_top', 'Trouser'];
    for (const [k, f] of folders.entries()) {
      mkdirSync(join(dir, f));
      await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 20 * k, g: 20 * k, b: 20 * k } } }).png().toFile(join(dir, f, 'a.png'));
    }
    const m = { graph: { inputs: [{ name: 'x', shape: [28, 28, 1] }] }, info: { classNames: FASHION_MNIST_CLASSES } } as unknown as Pick<SessionModel, 'graph' | 'info'>;
    const d: DataChoice = { data: dir, split: 'test', limit: 10, seed: 0, preprocess: { mean: [0], std: [1], channels: 1 } };
    const named = await openData(d, m);
    assert.deepEqual(named.ds.classes, FASHION_MNIST_CLASSES);
    assert.deepEqual(Array.from(await named.ds.labels()), [9, 8, 4, 3, 2, 5, 6, 7, 0, 1]);
    const sorted = await openData({ ...d, labelsByIndex: true }, m);
    assert.deepEqual(Array.from(await sorted.ds.labels()), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    mkdirSync(join(dir, 'Hat'));
    await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 5, g: 5, b: 5 } } }).png().toFile(join(dir, 'Hat', 'a.png'));
    await assert.rejects(openData(d, m), (e: unknown) => {
      assert.match(errorMessage(e), /"Hat" has no match; rename the folders or choose "sorted folder order" for Classes under Calibration data\.$/);
      return true;
    });
    await assert.doesNotReject(openData({ ...d, labelsByIndex: true }, m));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
