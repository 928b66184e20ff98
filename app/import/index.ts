/**
 * The model readers `loadModel` (./load.ts) tries, in order; each is one format
 * (Netron-style `{ name, extensions, match, read }`). Every list of model files derives from here.
 */
import type { ModelFormat, ModelReader } from './reader.js';
import { projectReader } from './project-reader.js';
import { orList } from '../util/words.js';
import { onnxReader } from './onnx/reader.js';
import { tfjsReader } from './tfjs/reader.js';

export const modelReaders: ModelReader[] = [projectReader, onnxReader, tfjsReader];

/** The formats as plain data, for the API and the desktop dialog. */
export function modelFormats(): ModelFormat[] {
  return modelReaders.map((r) => ({
    name: r.name,
    extensions: [...r.extensions],
    ...(r.companions ? { companions: [...r.companions] } : {}),
    ...(r.companionsNote ? { companionsNote: r.companionsNote } : {}),
  }));
}

/** Every extension a model file may have. */
export function modelExtensions(): string[] {
  return [...new Set(modelReaders.flatMap((r) => r.extensions))];
}

/** The formats as a list: ".seprune, .onnx, TF.js model.json". */
export function modelFileList(): string {
  return modelReaders.map((r) => r.name).join(', ');
}

/** The formats in a sentence's words: ".seprune, .onnx or TF.js model.json". */
export function modelFileNames(): string {
  return orList(modelReaders.map((r) => r.name));
}
