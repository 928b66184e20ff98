/**
 * A user-facing error: its message is one clear sentence, shown as is (no stack trace) by the CLI
 * and the UI. Anything else that escapes is a bug in this tool and is reported as such.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** A model that does not make sense (bad file, bad shapes, unknown zoo name). */
export class ModelError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

/*
 * Errors a host words in its own terms. The core says what is wrong; the CLI adds its flag and
 * the app its control (app/cli/error-words.ts, app/api/error-words.ts), so no GUI says "--force".
 */

/** The output exists and replacing it was not asked for. */
export class OutputExistsError extends UserError {
  constructor(readonly path: string) {
    super(`Output ${path} already exists.`);
    this.name = 'OutputExistsError';
  }
}

/** A training run's checkpoint folder already holds a checkpoint and resuming was not asked for. */
export class CheckpointExistsError extends UserError {
  constructor(readonly dir: string) {
    super(`${dir} already holds a checkpoint; resume from it or choose another checkpoint folder.`);
    this.name = 'CheckpointExistsError';
  }
}

/** Thrown when a run is cancelled; the last checkpoint (if any) is left as it was, in `dir`. */
export class TrainingCancelled extends UserError {
  constructor(
    readonly epoch: number,
    readonly lastCheckpoint: number | undefined,
    readonly dir: string | undefined,
  ) {
    super(`Fine-tuning was cancelled during epoch ${epoch}` + (dir && lastCheckpoint !== undefined ? `; the checkpoint of epoch ${lastCheckpoint} in ${dir} can be resumed.` : '.'));
    this.name = 'TrainingCancelled';
  }
}

/** The training device asked for is not there (`why`: what the engine's probe saw) or not one this engine takes. */
export class DeviceError extends UserError {
  constructor(
    readonly device: string,
    readonly why: string,
    /** The engine that does not take devices (it picks its own backend), when that is the problem. */
    readonly engine?: string,
  ) {
    super(engine ? `The device ${device} needs the torch engine; the ${engine} engine picks its own backend.` : `The device ${device} was asked for but ${why}.`);
    this.name = 'DeviceError';
  }
}

/** Training diverged (the loss stopped being finite); `suggestedLr` is a lower learning rate to try. */
export class TrainingDivergedError extends UserError {
  constructor(
    /** As the engine printed it (nan, inf, NaN, Infinity). */
    readonly loss: string,
    readonly epoch: number,
    readonly step: number,
    readonly lr: number,
    readonly suggestedLr: string,
  ) {
    super(`Training diverged (the loss became ${loss}) at epoch ${epoch} step ${step} with learning rate ${lr}; try a lower one, e.g. ${suggestedLr}.`);
    this.name = 'TrainingDivergedError';
  }
}

/** A step needs calibration images and none were given (`what` is the sentence without its remedy). */
export class CalibrationMissingError extends UserError {
  constructor(readonly what: string, readonly step: 'export' | 'prune') {
    super(`${what}.`);
    this.name = 'CalibrationMissingError';
  }
}

/**
 * The images' shape after preprocessing is not the model's input; `fix` holds the change that
 * would make them match when one is obvious (pad both sides by n, resize and crop to n, n channels).
 * `who` names the model when a job holds several (compare).
 */
export class InputShapeError extends UserError {
  constructor(
    readonly sample: readonly number[],
    readonly model: readonly number[],
    readonly fix: { pad?: number; resize?: number; channels?: number },
    readonly who?: string,
  ) {
    super(`${who ? `${who}: ` : ''}Images are ${sample[0]}×${sample[1]}×${sample[2]} after preprocessing but the model takes ${model[0]}×${model[1]}×${model[2]}.`);
    this.name = 'InputShapeError';
  }
}

/** What a read-only model (an exported file run in its own runtime) was asked to do. */
export type ReadOnlyAction = 'stats' | 'prune' | 'finetune' | 'export' | 'undo';

const READ_ONLY_ACTION: Record<ReadOnlyAction, string> = {
  stats: 'have gate statistics measured',
  prune: 'be pruned',
  finetune: 'be fine-tuned',
  export: 'be exported again',
  undo: 'have a step undone',
};

/**
 * An exported file (an int8 ONNX, a .tflite, a TF.js graph model) opened read-only was asked to
 * be changed: it only runs, as written, in its own runtime. `format` names it ("int8 ONNX").
 */
export class ReadOnlyModelError extends UserError {
  constructor(
    readonly format: string,
    readonly action: ReadOnlyAction,
  ) {
    super(`This ${format} file runs as written and cannot ${READ_ONLY_ACTION[action]}.`);
    this.name = 'ReadOnlyModelError';
  }
}
