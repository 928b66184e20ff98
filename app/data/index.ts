/**
 * Opening a dataset from the user's dataset argument: a builtin name (`fashion-mnist`), an IDX
 * folder, a CIFAR binary folder, or an ImageFolder (tried in that order), plus the public types.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { UserError } from '../model/errors.js';
import { isBuiltinName, openBuiltin } from './builtin.js';
import { cifarReader } from './cifar.js';
import type { DataOptions, Dataset, DatasetReader } from './types.js';
import { idxReader } from './idx.js';
import { imageFolderReader } from './image-folder.js';
import { sampleIndices } from './sampling.js';

export type { Batch, DataOptions, Dataset, DatasetReader, Sample } from './types.js';
export { sampleIndices } from './sampling.js';

/** Folder readers, most specific first (ImageFolder accepts any folder, so it comes last). */
export const READERS: DatasetReader[] = [idxReader, cifarReader, imageFolderReader];

export async function openDataset(o: DataOptions): Promise<Dataset> {
  const arg = o.data;
  if (!arg) throw new UserError('No dataset given: pass a folder or a builtin name (fashion-mnist).');
  if (!existsSync(arg)) {
    if (isBuiltinName(arg)) return openBuiltin(o);
    if (arg.includes('/') || arg.includes(sep) || arg.startsWith('.')) throw new UserError(`Dataset folder ${arg} does not exist.`);
    throw new UserError(`Unknown dataset "${arg}": give a folder or a builtin name (fashion-mnist).`);
  }
  const st = statSync(arg);
  if (!st.isDirectory()) {
    const kind = st.isFile() ? 'a file' : st.isFIFO() ? 'a named pipe' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a folder';
    throw new UserError(`Dataset ${arg} is ${kind}; give the folder that holds the dataset.`);
  }
  const dir = resolve(arg);
  const reader = READERS.find((r) => r.match(dir))!;
  return reader.open(dir, o);
}

/** The indices a command should use: class-balanced `limit` of them with `seed` (default 0). */
export async function datasetIndices(ds: Dataset, o: Pick<DataOptions, 'limit' | 'seed'>): Promise<number[]> {
  return sampleIndices(await ds.labels(), o.limit, o.seed ?? 0);
}
