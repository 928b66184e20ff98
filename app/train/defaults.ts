/**
 * Fine-tuning defaults that depend on the optimiser, shared by both engines, the CLI's help and the
 * app's form.
 *
 * SGD's 0.01 is measured (bench/RESULTS.md, "Default learning rate"): on PyTorch-trained,
 * BN-folded exports imported from ONNX, 0.05 (the earlier default) diverged on MobileNetV3-Small
 * on the torch engine and cost 6–49 points elsewhere, where 0.01 was the best or within 1.05
 * points of the best of 0.05 / 0.02 / 0.01 / 0.005 on the trained and the 50%-MACs pruned
 * SE-ResNet-18 and MobileNetV3, on both engines. AdamW's 1e-3 measured within 1.05 points of
 * 3e-4 and better on the pruned MobileNetV3.
 */
export type OptimizerKind = 'sgd' | 'adamw';

export const DEFAULT_LR: Record<OptimizerKind, number> = { sgd: 0.01, adamw: 1e-3 };
export const DEFAULT_WEIGHT_DECAY: Record<OptimizerKind, number> = { sgd: 5e-4, adamw: 0.01 };

/** The learning-rate schedule and distillation temperature when none is given (the CLI's flags, the app's form, the trainer's plan). */
export const DEFAULT_SCHEDULE = 'cosine' satisfies 'cosine' | 'onecycle' | 'constant';
export const DEFAULT_TEMPERATURE = 4;
