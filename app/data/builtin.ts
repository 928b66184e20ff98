/**
 * Builtin datasets by name. `fashion-mnist` is looked up, in order, in `--data-dir` (when given),
 * Debian's `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist/), and the compact subset
 * shipped in this repository (app/data/builtin/fashion-mnist/: 6,000 train + 2,000 test images,
 * class-balanced, made by tools/make-fashion-mnist-subset.ts). The dataset's `source` says which.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../model/errors.js';
import type { DataOptions, Dataset } from './types.js';
import { FASHION_MNIST_CLASSES, openIdx } from './idx.js';

export const BUILTIN_NAMES = ['fashion-mnist'];
export const SYSTEM_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
export const SHIPPED_FASHION_MNIST = fileURLToPath(new URL('./builtin/fashion-mnist', import.meta.url));

export function isBuiltinName(name: string): boolean {
  return BUILTIN_NAMES.includes(name.toLowerCase());
}

/** Whether `dir` holds both IDX files of the split. */
function hasSplit(dir: string, split: 'train' | 'test'): boolean {
  if (!existsSync(dir)) return false;
  const prefix = split === 'train' ? /^train/i : /^(t10k|test)/i;
  const names = readdirSync(dir).filter((n) => prefix.test(n));
  return names.some((n) => /images[-_.]idx3/i.test(n)) && names.some((n) => /labels[-_.]idx1/i.test(n));
}

/** Where a builtin comes from; the directories are parameters so tests can force each case. */
export function resolveBuiltin(
  name: string,
  split: 'train' | 'test',
  dataDir?: string,
  systemDir = SYSTEM_FASHION_MNIST,
  shippedDir = SHIPPED_FASHION_MNIST,
): { dir: string; source: string } {
  if (!isBuiltinName(name)) {
    throw new UserError(`Unknown dataset "${name}": give a folder or a builtin name (${BUILTIN_NAMES.join(', ')}).`);
  }
  if (dataDir !== undefined) {
    if (!hasSplit(dataDir, split)) {
      throw new UserError(`--data-dir ${dataDir} has no Fashion-MNIST ${split} files (${split === 'train' ? 'train' : 't10k'}-images-idx3-ubyte.gz and labels).`);
    }
    return { dir: dataDir, source: `data-dir ${dataDir}` };
  }
  if (hasSplit(systemDir, split)) return { dir: systemDir, source: `system ${systemDir}` };
  if (hasSplit(shippedDir, split)) return { dir: shippedDir, source: `shipped subset ${shippedDir}` };
  throw new UserError(`Fashion-MNIST is not installed: install Debian's dataset-fashion-mnist or pass --data-dir.`);
}

export async function openBuiltin(o: DataOptions, systemDir?: string, shippedDir?: string): Promise<Dataset> {
  const split = o.split ?? 'train';
  const { dir, source } = resolveBuiltin(o.data, split, o.dataDir, systemDir, shippedDir);
  return openIdx(dir, { ...o, split }, { name: 'fashion-mnist', source, classes: FASHION_MNIST_CLASSES.slice() });
}
