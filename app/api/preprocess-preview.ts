/**
 * What the preprocessing makes of one image, for the app's preprocessing form: the tensor's shape,
 * range and channel 0 as a small grid (at most 32×32 values; larger tensors are sampled).
 */
import { openDataset } from '../data/index.js';
import { describePipeline, pipelineOf } from '../data/transform.js';
import { UserError } from '../model/errors.js';
import type { PreprocessPreviewDto, PreviewPreprocessingRequest } from './contract.js';

const GRID = 32;

export async function previewPreprocessing(req: PreviewPreprocessingRequest, inputShape?: number[]): Promise<PreprocessPreviewDto> {
  if (!req?.data?.trim()) throw new UserError('Choose a dataset first.');
  const shape = inputShape && inputShape.length === 3 ? ([inputShape[0], inputShape[1], inputShape[2]] as [number, number, number]) : undefined;
  const ds = await openDataset({ data: req.data, split: req.split === 'test' ? 'test' : 'train', preprocess: req.preprocess, ...(shape ? { inputShape: shape } : {}) });
  if (ds.size === 0) throw new UserError('The dataset has no images.');
  const index = Number.isInteger(req.index) && req.index! >= 0 ? Math.min(req.index!, ds.size - 1) : 0;
  let x: Float32Array | undefined;
  let id = '';
  for await (const b of ds.batches([index], 1)) {
    if (b.skipped.length) throw new UserError(`${b.skipped[0].id} was skipped: ${b.skipped[0].reason}.`);
    x = b.x;
    id = b.ids[0];
  }
  const [h, w, c] = ds.sampleShape;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of x!) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const gh = Math.min(h, GRID);
  const gw = Math.min(w, GRID);
  const values: number[] = [];
  for (let y = 0; y < gh; y++) {
    for (let xx = 0; xx < gw; xx++) values.push(x![(Math.floor((y * h) / gh) * w + Math.floor((xx * w) / gw)) * c]);
  }
  return {
    id,
    transform: describePipeline(pipelineOf(req.preprocess)),
    shape: [h, w, c],
    min, max, mean: sum / x!.length,
    grid: { h: gh, w: gw, values },
    fits: !shape || shape.join(',') === [h, w, c].join(','),
    warnings: ds.warnings ?? [],
  };
}
