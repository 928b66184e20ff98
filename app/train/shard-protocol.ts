/** Messages between the trainer and its data-parallel workers (data-parallel.ts, shard-worker.ts). */
import type { Graph } from '../model/ir.js';
import type { ShardLoss } from './shard-step.js';

/** What a worker is started with (its workerData). */
export interface ShardInit {
  graph: Graph;
  teacher?: Graph;
  /** Input image shape H, W, C. */
  shape: [number, number, number];
  classes: number;
  loss: ShardLoss;
}

/** One step's share: the current weights and BN statistics, and the shard's images. */
export interface ShardRequest {
  /** Every trainable weight and BN moving statistic, keyed `${node}/${weight}`. */
  weights: Record<string, Float32Array>;
  /** Images [n, H, W, C] (already augmented) and their labels. */
  x: Float32Array;
  y: Int32Array;
  /** The teacher's logits [n, K] when the trainer has them cached; else the worker runs the teacher. */
  teacherLogits?: Float32Array;
}

/** A worker's answer to a step. */
export interface ShardResult {
  grads: Record<string, Float32Array>;
  /** BN moving statistics after this shard's training-mode forward pass. */
  stats: Record<string, Float32Array>;
  loss: number;
  correct: number;
  /** The teacher's logits the worker computed (for the trainer's cache). */
  teacherLogits?: Float32Array;
  error?: undefined;
}

export type ShardReply = ShardResult | { error: string; user: boolean };
