/** Fine-tuning: the training loop, its optimisers, schedules, losses, augmentation, checkpoints and BN re-estimation. */
export { train, TrainingCancelled, DEFAULT_LR, DEFAULT_WEIGHT_DECAY, type TrainOptions, type TrainProgress, type TrainResult, type EpochSummary } from './trainer.js';
export { DEFAULT_SCHEDULE, DEFAULT_TEMPERATURE } from './defaults.js';
export { autoWorkers } from './data-parallel.js';
export { reestimateBn, type ReestimateOptions } from './bn.js';
export { createOptimizer, decayedKeys, OPTIMIZER_KINDS, type Optimizer, type OptimizerKind, type OptimizerOptions, type OptimizerState } from './optimizers.js';
export { learningRate, SCHEDULE_KINDS, type ScheduleKind, type ScheduleOptions } from './schedule.js';
export { augmentBatch, type AugmentOptions } from './augment.js';
export { crossEntropy, distillationLoss, trainingLoss, type LossOptions } from './loss.js';
export { checkpointExists, loadCheckpoint, saveCheckpoint, CHECKPOINT_JSON } from './checkpoint.js';
export { memoryDataset } from './memory-dataset.js';
