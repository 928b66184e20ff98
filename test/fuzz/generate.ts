/** Case `i` of a format for a seed: a mutation of one of the seeds (seeds.ts), as a FuzzCase. */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Rng } from '../../app/model/random.js';
import type { Format, FuzzCase } from './case.js';
import { SEED } from './seeds.js';
import { mutateOnnx } from './mutate/onnx.js';
import { mutateSeprune } from './mutate/seprune.js';
import { mutateTfjs } from './mutate/tfjs.js';
import { mutateIdx } from './mutate/idx.js';
import { mutateImages } from './mutate/image.js';

const cache = new Map<string, Uint8Array>();
function bytesOf(path: string): Uint8Array {
  let b = cache.get(path);
  if (!b) cache.set(path, (b = new Uint8Array(readFileSync(path))));
  return b;
}

function folderFiles(dir: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out[relative(dir, join(d, e.name))] = bytesOf(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** Every case has its own generator state: case i of seed s is the same whatever ran before. */
export async function makeCase(format: Format, seeds: string, seed: number, i: number): Promise<FuzzCase> {
  const rng = new Rng((seed * 1_000_003 + i * 7919 + format.length * 131) >>> 0);
  for (let k = 0; k < 3; k++) rng.next();
  switch (format) {
    case 'onnx': {
      const src = SEED.onnx[rng.int(SEED.onnx.length)];
      const r = mutateOnnx(bytesOf(join(seeds, src)), rng);
      return { format, what: `${src}: ${r.what}`, files: { 'model.onnx': r.bytes }, model: { file: 'model.onnx' }, data: { seed: SEED.dataFor.onnx }, inspect: true };
    }
    case 'seprune': {
      const src = SEED.seprune[rng.int(SEED.seprune.length)];
      const r = mutateSeprune(bytesOf(join(seeds, src)), rng);
      return { format, what: `${src}: ${r.what}`, files: { 'model.seprune': r.bytes }, model: { file: 'model.seprune' }, data: { seed: SEED.dataFor.seprune }, inspect: true };
    }
    case 'tfjs': {
      const r = mutateTfjs(folderFiles(join(seeds, SEED.tfjs)), rng);
      return { format, what: r.what, files: r.files, model: { file: 'model.json' }, data: { seed: SEED.dataFor.tfjs }, inspect: true };
    }
    case 'idx': {
      const src = SEED.idx[rng.int(SEED.idx.length)];
      const r = mutateIdx(folderFiles(join(seeds, src)), rng);
      return { format, what: `${src}: ${r.what}`, files: r.files, model: { seed: SEED.idxModel }, data: { file: '.' }, inspect: false };
    }
    case 'image': {
      const r = await mutateImages(folderFiles(join(seeds, SEED.images)), rng);
      return { format, what: r.what, files: r.files, model: { seed: SEED.imageModel }, data: { file: '.' }, inspect: false };
    }
  }
}
