/**
 * What a training run takes and gives back, shared by both engines (the tfjs trainer and the
 * torch runner) and the plan they train from; kept apart from trainer.ts so the plan and the
 * torch engine need not import the tfjs loop.
 */
import type { Graph } from '../model/ir.js';
import type { OptimizerKind } from './optimizers.js';
import type { ScheduleKind } from './schedule.js';
import type { AugmentOptions } from './augment.js';
import type { CheckpointProject, EpochSummary } from './checkpoint.js';
import type { TrainProgress } from './train-progress.js';

export type { TrainProgress } from './train-progress.js';

export interface TrainOptions {
  epochs: number;
  /** Default 32. */
  batchSize?: number;
  /** Peak learning rate; default DEFAULT_LR (0.01 for SGD, 1e-3 for AdamW). */
  lr?: number;
  /** Default 'sgd'. */
  optimizer?: OptimizerKind;
  /** SGD momentum (default 0.9) and Nesterov (default false). */
  momentum?: number;
  nesterov?: boolean;
  /** Default 'cosine'. */
  schedule?: ScheduleKind;
  /** Warm-up length in epochs (fractions allowed); default 0 (one-cycle then warms up over 30% of the run). */
  warmup?: number;
  /** Default 5e-4 for SGD, 0.01 for AdamW; never applied to biases or BN. */
  weightDecay?: number;
  /** Default 0. */
  labelSmoothing?: number;
  /** Default flip + 2-pixel shift; false for none. */
  augment?: AugmentOptions | false;
  /** Distil from this graph (same input and number of classes). */
  teacher?: Graph;
  /** Distillation temperature, default 4. */
  temperature?: number;
  /** Weight of the distillation term, default 0.5 (used only with a teacher). */
  alpha?: number;
  /**
   * Extra worker threads for data-parallel training on the cpu backend (default 0: this thread
   * alone). Each computes a share of every batch (see data-parallel.ts); `autoWorkers()` gives
   * one per idle core.
   */
  workers?: number;
  /** Reuse each image's teacher logits across epochs when there is no augmentation (default true). */
  cacheTeacher?: boolean;
  /** Default 0. */
  seed?: number;
  /** Dataset records to train on; default every record with a valid label. */
  indices?: number[];
  /** Write a checkpoint here after every epoch. */
  checkpointDir?: string;
  /** Preprocessing and labels each checkpoint's model file carries (so it evaluates as the final output does). */
  checkpointProject?: CheckpointProject;
  /** Continue from the checkpoint in checkpointDir (a fresh start when there is none). */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (ev: TrainProgress) => void;
  /** Called after each epoch (after its checkpoint is written). */
  onEpoch?: (s: EpochSummary) => void;
}

export interface TrainResult {
  graph: Graph;
  /** Epochs completed (including those of a resumed checkpoint). */
  epochs: number;
  /** Training throughput of this run (data, augmentation, forward, backward and update). */
  imagesPerSecond: number;
  backend: string;
  history: EpochSummary[];
  /** The epoch the run continued from, when it resumed a checkpoint. */
  resumedFrom?: number;
  /** Images the teacher's forward pass ran on in this run (fewer than trained with a teacher cache). */
  teacherImages: number;
  /** Threads that computed each step: 1 + the data-parallel workers that ran. */
  threads: number;
  /** Why the requested workers did not start (the run then used this thread alone). */
  parallelProblem?: string;
}
