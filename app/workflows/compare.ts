/**
 * The compare job, written once for the CLI and the app: every model must take the dataset's
 * images (InputShapeError names the one that does not), then each is measured on the same images
 * (app/eval/compare.ts) with the differences against the first.
 */
import { UserError } from '../model/errors.js';
import type { Dataset } from '../data/types.js';
import { checkInputShape } from '../data/input-shape.js';
import { compareModels, type CompareInput, type CompareOptions } from '../eval/compare.js';
import type { CompareReport } from '../eval/compare-types.js';

export async function compareOn(models: CompareInput[], ds: Dataset, indices: number[], o: CompareOptions): Promise<CompareReport> {
  if (models.length < 2) throw new UserError('Give at least two models to compare (the first is the baseline).');
  for (const m of models) checkInputShape(ds.sampleShape, m.graph.inputs[0].shape, m.label);
  return compareModels(models, ds, indices, o);
}
