/**
 * The fine-tune job's steps, written once for the CLI and the app: the augmentation's border
 * fill from the preprocessing, training on the engine chosen (PyTorch or the built-in tfjs
 * trainer) and top-1 on the test images. Each host chooses the engine from its settings, words
 * the progress and writes (CLI) or adds (app) the trained model.
 */
import type { Graph, Preprocessing } from '../model/ir.js';
import type { Dataset } from '../data/types.js';
import { relabelled, type Progress } from '../util/progress.js';
import { borderValue } from '../data/transform.js';
import { evaluate, type EvalResult } from '../eval/evaluate.js';
import type { TrainResult } from '../train/options.js';
import { engineNamed, type TrainWork } from '../train/engines/index.js';
import type { AugmentOptions } from '../train/augment.js';
import type { TorchRunInfo } from '../train/torch/index.js';

/** Flips and shifts, the shifted-in border filled with the value the pipeline's own padding (or a black pixel) has. */
export function augmentFor(pre: Preprocessing, o: { flip: boolean; shift: number }): AugmentOptions {
  return { flip: o.flip, shift: o.shift, fill: borderValue(pre) };
}

/** Trains on the engine chosen (app/train/engines). */
export function trainOn(w: TrainWork): Promise<TrainResult & Partial<TorchRunInfo>> {
  return engineNamed(w.engine.engine).train(w);
}

/** Top-1 of the trained graph on the test images; `label` renames the progress steps. */
export function evaluateTrained(graph: Graph, test: Dataset, indices: number[], progress: Progress, label?: string): Promise<EvalResult> {
  return evaluate(graph, test, indices, { progress: label ? relabelled(progress, label) : progress });
}
