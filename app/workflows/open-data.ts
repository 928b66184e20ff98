/**
 * The dataset a job reads for a model, written once for the CLI and the app: the images'
 * shape after preprocessing is checked against the model's input (InputShapeError), and the
 * dataset's classes are mapped to the labels the model stores by name (LabelMismatchError) unless
 * the user asked for sorted folder order (no `labels`). Each host words both errors.
 */
import { openDataset } from '../data/index.js';
import type { DataOptions, Dataset } from '../data/types.js';
import { checkInputShape } from '../data/input-shape.js';
import { mapLabelsByName } from '../data/label-map.js';

export async function openModelData(o: DataOptions, labels?: string[]): Promise<Dataset> {
  const opened = await openDataset(o);
  if (o.inputShape) checkInputShape(opened.sampleShape, o.inputShape);
  return labels ? mapLabelsByName(opened, labels) : opened;
}
