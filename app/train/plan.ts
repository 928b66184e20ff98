/**
 * A fine-tuning run's settings with every default applied and checked, and its epoch orders:
 * what both engines (the tfjs trainer and the torch runner) train from, so they take the same
 * steps on the same images.
 */
import type { Graph } from '../model/ir.js';
import type { Dataset } from '../data/types.js';
import { sampleIndices } from '../data/sampling.js';
import { UserError } from '../model/errors.js';
import { Rng } from '../model/random.js';
import type { OptimizerKind } from './optimizers.js';
import type { ScheduleOptions } from './schedule.js';
import type { AugmentOptions } from './augment.js';
import type { RunConfig } from './checkpoint.js';
import type { TrainOptions } from './options.js';

import { DEFAULT_LR, DEFAULT_SCHEDULE, DEFAULT_TEMPERATURE, DEFAULT_WEIGHT_DECAY } from './defaults.js';
export { DEFAULT_LR, DEFAULT_WEIGHT_DECAY } from './defaults.js';

export interface TrainPlan {
  optimizer: OptimizerKind;
  batchSize: number;
  lr: number;
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  seed: number;
  augment: AugmentOptions | false;
  /** Whether augmentation changes any image. */
  augmenting: boolean;
  temperature: number;
  /** Weight of the distillation term (0 without a teacher). */
  alpha: number;
  labelSmoothing: number;
  /** The dataset records trained on. */
  all: number[];
  /** Images per epoch (a lone last image, which batch norm cannot take, is left out). */
  perEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  schedule: ScheduleOptions;
  config: RunConfig;
}

/** A learning rate to try after a divergence at `lr`: about a fifth, rounded to 1, 2 or 5 × 10^k (the torch runner words it the same way). */
export function suggestLr(lr: number): string {
  const x = lr / 5;
  const e = Math.floor(Math.log10(x));
  const m = x / 10 ** e;
  const r = m < 2 ? 1 : m < 5 ? 2 : 5;
  return (r * 10 ** e).toFixed(Math.max(0, -e));
}

/** Independent seeded streams per epoch (order, augmentation). */
export function epochRng(seed: number, epoch: number, stream: number): Rng {
  return new Rng((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0);
}

/** The dataset records of epoch `epoch` (0-based) in training order. */
export function epochOrder(p: TrainPlan, epoch: number): number[] {
  return epochRng(p.seed, epoch, 0).shuffle(p.all.slice()).slice(0, p.perEpoch);
}

/**
 * The run's numbers with their defaults, refused with a sentence when they cannot train: what
 * planTraining checks, and what a host checks before it starts a job.
 */
export function checkTrainOptions(o: Pick<TrainOptions, 'epochs' | 'batchSize' | 'lr' | 'optimizer' | 'temperature' | 'alpha' | 'labelSmoothing'> & { teacher?: unknown }) {
  const optimizer = o.optimizer ?? 'sgd';
  const batchSize = o.batchSize ?? 32;
  const lr = o.lr ?? DEFAULT_LR[optimizer];
  const temperature = o.temperature ?? DEFAULT_TEMPERATURE;
  const alpha = o.teacher ? (o.alpha ?? 0.5) : 0;
  const labelSmoothing = o.labelSmoothing ?? 0;
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new UserError(`Epochs must be a whole number ≥ 1, got ${o.epochs}.`);
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new UserError(`Batch size must be a whole number ≥ 2 (batch norm needs two images), got ${batchSize}.`);
  if (!(lr > 0)) throw new UserError(`Learning rate must be > 0, got ${lr}.`);
  if (!(temperature > 0)) throw new UserError(`Temperature must be > 0, got ${temperature}.`);
  if (!(alpha >= 0 && alpha <= 1)) throw new UserError(`Distillation weight alpha must be in [0, 1], got ${alpha}.`);
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new UserError(`Label smoothing must be in [0, 1), got ${labelSmoothing}.`);
  return { optimizer, batchSize, lr, temperature, alpha, labelSmoothing };
}

export async function planTraining(g: Graph, ds: Dataset, o: TrainOptions): Promise<TrainPlan> {
  const { optimizer, batchSize, lr, temperature, alpha, labelSmoothing: ls } = checkTrainOptions(o);
  const weightDecay = o.weightDecay ?? DEFAULT_WEIGHT_DECAY[optimizer];
  const seed = o.seed ?? 0;
  const augment = o.augment === undefined ? { flip: true, shift: 2 } : o.augment;
  if (ds.sampleShape.join(',') !== g.inputs[0].shape.join(',')) {
    throw new UserError(`Images are ${ds.sampleShape.join('×')} but the model takes ${g.inputs[0].shape.join('×')}.`);
  }
  if (o.teacher && o.teacher.inputs[0]?.shape.join(',') !== g.inputs[0].shape.join(',')) {
    throw new UserError(`The teacher takes ${o.teacher.inputs[0]?.shape.join('×')} inputs but the model takes ${g.inputs[0].shape.join('×')}.`);
  }
  const all = o.indices ?? sampleIndices(await ds.labels(), undefined, 0);
  // A lone image in the last batch cannot be batch-normalised: leave it out of the epoch.
  const perEpoch = all.length % batchSize === 1 ? all.length - 1 : all.length;
  if (perEpoch < 2) throw new UserError(`Training needs at least 2 images, ${ds.name} gave ${all.length}.`);
  const stepsPerEpoch = Math.ceil(perEpoch / batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;
  return {
    optimizer,
    batchSize,
    lr,
    weightDecay,
    momentum: o.momentum ?? 0.9,
    nesterov: o.nesterov ?? false,
    seed,
    augment,
    augmenting: !!(augment && (augment.flip || augment.shift > 0)),
    temperature,
    alpha,
    labelSmoothing: ls,
    all,
    perEpoch,
    stepsPerEpoch,
    totalSteps,
    schedule: { kind: o.schedule ?? DEFAULT_SCHEDULE, lr, totalSteps, warmupSteps: Math.round((o.warmup ?? 0) * stepsPerEpoch) },
    config: { optimizer, epochs: o.epochs, stepsPerEpoch, batchSize, seed },
  };
}
