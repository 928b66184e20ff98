/** The data flags as commands read them: pipelines, labels by name, mixed sizes, warnings, and the old flags' order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { CommandContext } from './command.js';
import { openCommandDataset, parseDataOptions } from './data-options.js';
import type { DatasetReport } from './command.js';
import { loadModel } from '../import/load.js';
import { saveProject } from '../model/project-file.js';
import type { LoadedModel } from '../model/project.js';
import { exportMetadata, metadataEntries } from '../../export/metadata.js';
import { parseTransform } from '../data/transform-parse.js';
import { UserError } from '../model/errors.js';
import { cliMessage } from './error-words.js';
import { FASHION_MNIST_CLASSES } from '../data/idx.js';
import { describePipeline, fromPipeline, pipelineOf } from '../data/transform.js';

function ctxOf(values: Record<string, string | boolean>): CommandContext & { lines: string[] } {
  const lines: string[] = [];
  return { values, positionals: [], json: false, progress: { update() {}, done() {} } as unknown as CommandContext['progress'], log: (l) => lines.push(l), datasets: [] as DatasetReport[], lines };
}

function model(shape: number[], labels?: string[], preprocessing?: LoadedModel['project']['preprocessing']): LoadedModel {
  return { source: 'test', hash: 'x', project: { graph: { inputs: [{ name: 'x', shape }] }, history: [], ...(labels ? { labels } : {}), ...(preprocessing ? { preprocessing } : {}) } } as unknown as LoadedModel;
}

async function png(path: string, h: number, w: number, v: number): Promise<void> {
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: v, g: v, b: v } } }).png().toFile(path);
}

test('--transform, the shorthand flags (saying their order), a stored pipeline and an old project', () => {
  const m = model([32, 32, 1], undefined, { pad: 2, mean: [0.286], std: [0.353], channels: 1 });
  const stored = parseDataOptions(ctxOf({ data: 'fashion-mnist' }), m, { required: true, defaultSplit: 'test' })!;
  assert.equal(describePipeline(pipelineOf(stored.preprocess)), 'Pad(2), ToTensor(), Normalize(0.286, 0.353)');
  const c = ctxOf({ data: 'fashion-mnist', transform: 'ToTensor(), Normalize(0.2860, 0.3530), Pad(2)' });
  const t = parseDataOptions(c, m, { required: true, defaultSplit: 'test' })!;
  assert.equal(describePipeline(t.preprocess.steps!), 'ToTensor(), Normalize(0.286, 0.353), Pad(2)');
  assert.deepEqual(t.preprocess.mean, [0.286]);
  const s = ctxOf({ data: 'fashion-mnist', pad: '2', mean: '0.5', std: '0.5' });
  const sh = parseDataOptions(s, model([32, 32, 1]), { required: true, defaultSplit: 'test' })!;
  assert.equal(describePipeline(sh.preprocess.steps!), 'Pad(2), ToTensor(), Normalize(0.5, 0.5)');
  assert.match(s.lines.join('\n'), /preprocessing: Pad\(2\), ToTensor\(\), Normalize\(0\.5, 0\.5\) \(the shorthand flags' order; pass --transform for another\)/);
  assert.throws(() => parseDataOptions(ctxOf({ data: 'x', transform: 'ToTensor()', pad: '2' }), m, { required: true, defaultSplit: 'test' }), /--pad cannot be combined with --transform/);
  assert.throws(() => parseDataOptions(ctxOf({ data: 'x', transform: 'Normalize(0.5, 0.5)' }), m, { required: true, defaultSplit: 'test' }), /has no ToTensor\(\)/);
});

test('ImageFolder classes map to the model\'s labels by name; unmatched names are one sentence with both lists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-labels-'));
  try {
    // Sorted folder order (code points, as torchvision's sorted()): Ankle_boot, COAT, Dress, Sandal,
    // Shirt, Sneaker, T-shirt_top, bag, pullover, trouser; index 0 is Ankle boot, label 9 in the model.
    const folders = ['Ankle_boot', 'COAT', 'Dress', 'Sandal', 'Shirt', 'Sneaker', 'T-shirt_top', 'bag', 'pullover', 'trouser'];
    for (const [k, f] of folders.entries()) {
      mkdirSync(join(dir, f));
      await png(join(dir, f, 'a.png'), 28, 28, 20 * k);
    }
    const m = model([28, 28, 1], FASHION_MNIST_CLASSES);
    const c = ctxOf({ data: dir });
    const ds = await openCommandDataset(c, parseDataOptions(c, m, { required: true, defaultSplit: 'test' })!);
    assert.deepEqual(ds.classes, FASHION_MNIST_CLASSES);
    const want = [9, 4, 3, 5, 6, 7, 0, 8, 2, 1];
    assert.deepEqual(Array.from(await ds.labels()), want);
    const ys: number[] = [];
    for await (const b of ds.batches([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4)) ys.push(...b.y);
    assert.deepEqual(ys, want);
    assert.match(c.lines.join('\n'), /classes mapped to the model's labels by name \(Ankle_boot → 9, COAT → 4/);
    // --labels-by-index keeps sorted order.
    const byIndex = ctxOf({ data: dir, 'labels-by-index': true });
    const ds2 = await openCommandDataset(byIndex, parseDataOptions(byIndex, m, { required: true, defaultSplit: 'test' })!);
    assert.deepEqual(Array.from(await ds2.labels()), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // A folder the names cannot match.
    mkdirSync(join(dir, 'Hat'));
    await png(join(dir, 'Hat', 'a.png'), 28, 28, 5);
    const bad = ctxOf({ data: dir });
    await assert.rejects(openCommandDataset(bad, parseDataOptions(bad, m, { required: true, defaultSplit: 'test' })!), (e: unknown) => {
      assert.ok(e instanceof UserError);
      const said = cliMessage(e);
      assert.match(said, /^The dataset's classes \("Ankle_boot", .*"Hat".*\) do not match the model's labels \("T-shirt\/top", .*"Ankle boot"\): "Hat" has no match; .*--labels-by-index/);
      assert.ok(!said.includes('\n'));
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mixed sizes are decided per image from the pipeline, summarised, listed, and an error below half', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-mixed-'));
  try {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    mkdirSync(join(dir, 'empty'));
    // The first file in sorted order is the odd one out: it must not decide the size.
    await png(join(dir, 'a', '0-big.png'), 56, 56, 10);
    for (let i = 1; i <= 4; i++) await png(join(dir, 'a', `${i}.png`), 28, 28, 30 * i);
    for (let i = 0; i < 3; i++) await png(join(dir, 'b', `${i}.png`), 28, 28, 40 * i);
    await png(join(dir, 'b', 'z-wide.png'), 40, 32, 99);
    const m = model([32, 32, 1]);
    const c = ctxOf({ data: dir, transform: 'ToTensor(), Normalize(0.5, 0.5), Pad(2)' });
    const ds = await openCommandDataset(c, parseDataOptions(c, m, { required: true, defaultSplit: 'test' })!);
    assert.deepEqual(ds.sampleShape, [32, 32, 1]);
    assert.equal(ds.size, 7);
    assert.deepEqual(ds.sizeSkipped, { count: 2, of: 9, sizes: ['56×56', '40×32'] });
    const r = c.datasets![0];
    assert.equal(r.skippedForSize, 2);
    assert.ok(r.warnings.some((w) => /^skipped 2 of 9 images: 56×56 and 40×32 do not fit 32×32; add Resize\(32\) and CenterCrop\(32\)/.test(w)), r.warnings.join(' | '));
    assert.ok(r.warnings.some((w) => /Class folder empty .* holds no images/.test(w)), r.warnings.join(' | '));
    assert.ok(c.lines.some((l) => l.startsWith('warning (data): skipped 2 of 9 images')));
    let n = 0;
    for await (const b of ds.batches(Array.from({ length: 7 }, (_, i) => i), 3)) {
      assert.equal(b.skipped.length, 0);
      n += b.y.length;
      assert.equal(b.x[0], 0); // Pad after Normalize: the border is 0
    }
    assert.equal(n, 7);
    // With a Resize + CenterCrop every image fits.
    const fixed = ctxOf({ data: dir, transform: 'Resize(28), CenterCrop(28), ToTensor(), Pad(2)' });
    assert.equal((await openCommandDataset(fixed, parseDataOptions(fixed, m, { required: true, defaultSplit: 'test' })!)).size, 9);
    // Fewer than half fitting is an error.
    for (let i = 0; i < 6; i++) await png(join(dir, 'b', `big${i}.png`), 64, 48, 7);
    const worse = ctxOf({ data: dir, transform: 'ToTensor(), Pad(2)' });
    await assert.rejects(openCommandDataset(worse, parseDataOptions(worse, m, { required: true, defaultSplit: 'test' })!), /^UserError: Only 7 of 15 images in .* come out 32×32 after preprocessing \(64×48, 56×56 and 40×32 do not fit\); add Resize\(32\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pipeline is stored in the project file and in export metadata; an old project\'s fields are converted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-pipeline-project-'));
  try {
    const m = await loadModel('zoo:se-resnet-demo');
    const preprocessing = fromPipeline(parseTransform('ToTensor(), Normalize(0.2860, 0.3530), Pad(2)'), 1);
    const file = join(dir, 'p.seprune');
    saveProject(file, { ...m.project, preprocessing });
    const back = await loadModel(file);
    assert.deepEqual(back.project.preprocessing, preprocessing);
    const d = parseDataOptions(ctxOf({ data: 'fashion-mnist' }), back, { required: true, defaultSplit: 'test' })!;
    assert.equal(describePipeline(pipelineOf(d.preprocess)), 'ToTensor(), Normalize(0.286, 0.353), Pad(2)');
    const meta = metadataEntries(exportMetadata(back));
    assert.equal(meta.transform, 'ToTensor(), Normalize(0.286, 0.353), Pad(2)');
    assert.deepEqual(JSON.parse(meta.preprocessing).steps, preprocessing.steps);
    const old = metadataEntries(exportMetadata({ ...back, project: { ...back.project, preprocessing: { pad: 2, mean: [0.286], std: [0.353], channels: 1 } } }));
    assert.equal(old.transform, 'Pad(2), ToTensor(), Normalize(0.286, 0.353)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
