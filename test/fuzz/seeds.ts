/**
 * The fuzz suite's valid starting points, written once into a folder: tiny models (so `eval`
 * takes milliseconds) in each model format, and tiny datasets (20 images) that fit them.
 * Mutators start from these bytes; cases name the prepared files as `{ seed: name }`.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { buildZooModel } from '../../app/model/zoo/index.js';
import { encodeProject, type Project } from '../../app/model/project-file.js';
import { encodeIdx } from '../../app/data/idx.js';
import { Rng } from '../../app/model/random.js';

const FIXTURES = fileURLToPath(new URL('../../app/import/fixtures/', import.meta.url));
/** Bump when a seed changes: the prepared folder is reused while this matches. */
const VERSION = '3';

/** The seed inputs by name, relative to the seeds folder. */
export const SEED = {
  onnx: ['models/regnety.onnx', 'models/shufflenet.onnx'],
  seprune: ['models/mobilenet-tiny.seprune', 'models/shufflenet-tiny.seprune'],
  tfjs: 'models/keras-se',
  /** The dataset each model format's cases evaluate on. */
  dataFor: { onnx: 'data/idx-32x32x3', seprune: 'data/idx-12x12x1', tfjs: 'data/idx-16x16x3' },
  /** The models the data formats' cases evaluate. */
  idxModel: 'models/mobilenet-tiny.seprune',
  imageModel: 'models/mobilenet-tiny-rgb.seprune',
  idx: ['data/idx-12x12x1', 'data/idx-12x12x1-gz'],
  images: 'data/images',
} as const;

const LABELS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

function tinyProject(spec: string, channels: 1 | 3): Project {
  const graph = buildZooModel(spec);
  const mean = channels === 1 ? [0.5] : [0.5, 0.5, 0.5];
  const std = channels === 1 ? [0.25] : [0.25, 0.25, 0.25];
  return { graph, preprocessing: { channels, mean, std }, labels: LABELS.slice(), history: [{ step: 'seed', at: '2026-12-04T00:00:00Z', details: { spec } }] };
}

function writeProject(path: string, p: Project): void {
  const chunks = encodeProject(p);
  writeFileSync(path, Buffer.concat(chunks));
}

function idxFolder(dir: string, h: number, w: number, c: number, gz: boolean, rng: Rng, classes = 10): void {
  mkdirSync(dir, { recursive: true });
  const n = 20;
  const pixels = Uint8Array.from({ length: n * h * w * c }, () => rng.int(256));
  const dims = c === 1 ? [n, h, w] : [n, h, w, c];
  const labels = Uint8Array.from({ length: n }, (_, i) => i % classes);
  const img = encodeIdx(dims, pixels);
  const lab = encodeIdx([n], labels);
  writeFileSync(join(dir, gz ? 't10k-images-idx3-ubyte.gz' : 't10k-images-idx3-ubyte'), gz ? gzipSync(img) : img);
  writeFileSync(join(dir, gz ? 't10k-labels-idx1-ubyte.gz' : 't10k-labels-idx1-ubyte'), gz ? gzipSync(lab) : lab);
}

/** Writes the seeds into `dir` (skipped when already there at this VERSION); returns `dir`. */
export async function prepareSeeds(dir: string): Promise<string> {
  const stamp = join(dir, 'VERSION');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === VERSION) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models', 'keras-se'), { recursive: true });
  copyFileSync(join(FIXTURES, 'regnety-ts13.onnx'), join(dir, SEED.onnx[0]));
  copyFileSync(join(FIXTURES, 'shufflenetv2-se-ts13.onnx'), join(dir, SEED.onnx[1]));
  for (const f of ['model.json', 'group1-shard1of2.bin', 'group1-shard2of2.bin']) copyFileSync(join(FIXTURES, 'keras-se', f), join(dir, SEED.tfjs, f));
  writeProject(join(dir, SEED.seprune[0]), tinyProject('se-mobilenet-demo?input=12x12x1&width=0.25&seed=1', 1));
  writeProject(join(dir, SEED.seprune[1]), tinyProject('se-shufflenetv2-demo?input=12x12x1&width=0.5&seed=2', 1));
  writeProject(join(dir, SEED.imageModel), tinyProject('se-mobilenet-demo?input=12x12x3&width=0.25&seed=3', 3));
  const rng = new Rng(19);
  idxFolder(join(dir, 'data/idx-32x32x3'), 32, 32, 3, false, rng);
  idxFolder(join(dir, 'data/idx-16x16x3'), 16, 16, 3, false, rng, 5); // the Keras fixture has 5 classes
  idxFolder(join(dir, SEED.idx[0]), 12, 12, 1, false, rng);
  idxFolder(join(dir, SEED.idx[1]), 12, 12, 1, true, rng);
  // ImageFolder: two classes, a PNG and a JPEG each, 12×12 RGB.
  for (const [k, cls] of ['zero', 'one'].entries()) {
    const d = join(dir, SEED.images, cls);
    mkdirSync(d, { recursive: true });
    const raw = Buffer.from(Uint8Array.from({ length: 12 * 12 * 3 }, () => rng.int(256)));
    const img = sharp(raw, { raw: { width: 12, height: 12, channels: 3 } });
    await img.clone().png().toFile(join(d, `${k}a.png`));
    await img.clone().jpeg({ quality: 80 }).toFile(join(d, `${k}b.jpg`));
  }
  writeFileSync(stamp, VERSION);
  return dir;
}
