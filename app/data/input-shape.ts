/** The model's input must match what preprocessing makes of the images. */
import { InputShapeError } from '../model/errors.js';

/** Throws InputShapeError, with the obvious fix when there is one, unless the shapes match. */
export function checkInputShape(sample: readonly number[], model: readonly number[], who?: string): void {
  if (sample.join(',') === model.join(',')) return;
  const [h, w, c] = sample;
  const [mh, mw, mc] = model;
  const fix: { pad?: number; resize?: number; channels?: number } = {};
  if (mh === mw && h === w && mh > h && (mh - h) % 2 === 0) fix.pad = (mh - h) / 2;
  else if (mh === mw && (h !== mh || w !== mw)) fix.resize = mh;
  if (c !== mc) fix.channels = mc;
  throw new InputShapeError(sample, model, fix, who);
}
