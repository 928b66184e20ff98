/** Core errors in the CLI's words: the remedy named by its flag. */
import { CalibrationMissingError, CheckpointExistsError, DeviceError, InputShapeError, OutputExistsError, TrainingCancelled, TrainingDivergedError, UserError } from '../model/errors.js';
import { LabelMismatchError } from '../data/label-map.js';

export function cliMessage(e: UserError): string {
  if (e instanceof OutputExistsError) return `Output ${e.path} already exists; pass --force to replace it.`;
  if (e instanceof CheckpointExistsError) return `${e.dir} already holds a checkpoint; pass --resume to continue from it or choose another checkpoint folder.`;
  if (e instanceof TrainingCancelled && e.dir && e.lastCheckpoint !== undefined) return `${e.message.slice(0, -1)} with --resume.`;
  if (e instanceof DeviceError) {
    return e.engine ? `--device ${e.device} needs the torch engine; the ${e.engine} engine picks its own backend (--backend).` : `--device ${e.device} was asked for but ${e.why}.`;
  }
  if (e instanceof TrainingDivergedError) return `${e.message.replace(/e\.g\. [^;]*\.$/, '')}e.g. --lr ${e.suggestedLr}.`;
  if (e instanceof CalibrationMissingError) {
    return e.step === 'export' ? `${e.what}: pass --calib <dataset> (or --data).` : `${e.what}; pass --data.`;
  }
  if (e instanceof InputShapeError) {
    const hints: string[] = [];
    const { pad, resize, channels } = e.fix;
    if (pad !== undefined) hints.push(`--pad ${pad} (zero pixels, before Normalize) or end --transform with Pad(${pad}) (zeros after Normalize), as the model was trained`);
    if (resize !== undefined) hints.push(`--resize ${resize} --center-crop ${resize} (or Resize(${resize}), CenterCrop(${resize}) in --transform)`);
    if (channels !== undefined) hints.push(`--channels ${channels}`);
    return hints.length ? `${e.message.slice(0, -1)}; try ${hints.join('; ')}.` : e.message;
  }
  if (e instanceof LabelMismatchError) return `${e.what}; rename the folders or pass --labels-by-index to number them in sorted order.`;
  return e.message;
}
