/** Core errors in the app's words: the remedy named by the control that gives it. */
import { CalibrationMissingError, CheckpointExistsError, DeviceError, InputShapeError, OutputExistsError, ReadOnlyModelError, TrainingDivergedError, UserError } from '../model/errors.js';
import { LabelMismatchError } from '../data/label-map.js';

export function appMessage(e: UserError): string {
  if (e instanceof OutputExistsError) return `Output ${e.path} already exists; tick "replace existing files" to replace it.`;
  if (e instanceof CheckpointExistsError) return `${e.dir} already holds a checkpoint; choose another checkpoint folder.`;
  if (e instanceof DeviceError && e.engine) return `The device ${e.device} needs the torch engine; choose the torch engine, or the device auto.`;
  if (e instanceof TrainingDivergedError) return `${e.message.replace(/; try a lower one, e\.g\. [^;]*\.$/, '')}; set a lower learning rate, e.g. ${e.suggestedLr}.`;
  if (e instanceof CalibrationMissingError) return `${e.what}; choose calibration data first.`;
  if (e instanceof InputShapeError) {
    const hints: string[] = [];
    const { pad, resize, channels } = e.fix;
    if (pad !== undefined) hints.push(`add Pad(${pad}) to the preprocessing pipeline (before ToTensor for zero pixels, at the end for zeros after Normalize)`);
    if (resize !== undefined) hints.push(`add Resize(${resize}) and CenterCrop(${resize}) to the preprocessing pipeline`);
    if (channels !== undefined) hints.push(`set the channels to ${channels}`);
    return hints.length ? `${e.message.slice(0, -1)}; ${hints.join('; ')}.` : e.message;
  }
  if (e instanceof ReadOnlyModelError) return `${e.message.slice(0, -1)}; open the float model it was exported from (Start) for that, or compare this file with it.`;
  if (e instanceof LabelMismatchError) return `${e.what}; rename the folders or choose "sorted folder order" for Classes under Calibration data.`;
  return e.message;
}
