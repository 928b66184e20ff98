/**
 * Matching a dataset's class names to the labels a model stores, by name (case, spaces,
 * underscores, hyphens and slashes ignored): an ImageFolder sorted `Ankle_boot, Bag, Coat, ...`
 * must feed label 9 for Ankle boot, not 0. Datasets whose classes are just numbers keep index
 * order.
 */
import { UserError } from '../model/errors.js';
import type { Batch, Dataset } from './types.js';

const key = (s: string) => s.toLowerCase().replace(/[\s_\-/]+/g, '');

const list = (xs: string[]) => xs.map((x) => `"${x}"`).join(', ');
const mismatch = (classes: string[], labels: string[], missing: string[]) =>
  `The dataset's classes (${list(classes)}) do not match the model's labels (${list(labels)}): ${list(missing)} ha${missing.length === 1 ? 's' : 've'} no match`;

/**
 * A dataset whose class names cannot all be matched to the model's labels. The message names both
 * lists; each host adds how to opt into sorted order (the CLI's flag, the app's setting).
 */
export class LabelMismatchError extends UserError {
  constructor(
    readonly classes: string[],
    readonly modelLabels: string[],
    readonly missing: string[],
  ) {
    super(`${mismatch(classes, modelLabels, missing)}; rename the folders or number the classes in sorted folder order instead.`);
    this.name = 'LabelMismatchError';
  }

  /** The sentence without its way out, for a host to finish with its own. */
  get what(): string {
    return mismatch(this.classes, this.modelLabels, this.missing);
  }
}

/** For each dataset class, the model label index with the same name; throws when some have none. */
export function labelPermutation(classes: string[], modelLabels: string[]): number[] | undefined {
  if (classes.every((c) => /^\d+$/.test(c))) return undefined;
  const byKey = new Map<string, number>();
  modelLabels.forEach((l, i) => byKey.set(key(l), i));
  const missing = classes.filter((c) => !byKey.has(key(c)));
  if (missing.length) throw new LabelMismatchError(classes, modelLabels, missing);
  return classes.map((c) => byKey.get(key(c))!);
}

/** The dataset with labels renumbered to the model's label order (classes become the model's labels). */
export function mapLabelsByName(ds: Dataset, modelLabels: string[]): Dataset {
  const perm = labelPermutation(ds.classes, modelLabels);
  if (!perm || perm.every((p, i) => p === i && ds.classes.length === modelLabels.length)) return ds;
  const map = (y: Int32Array) => Int32Array.from(y, (v) => (v >= 0 ? perm[v] : v));
  const note = `classes mapped to the model's labels by name (${ds.classes.map((c, i) => `${c} → ${perm[i]}`).join(', ')}).`;
  return {
    ...ds,
    classes: modelLabels.slice(),
    labels: async () => map(await ds.labels()),
    async *batches(indices: number[], batchSize: number): AsyncIterable<Batch> {
      for await (const b of ds.batches(indices, batchSize)) yield { ...b, y: map(b.y) };
    },
    notes: [...(ds.notes ?? []), note],
  };
}
