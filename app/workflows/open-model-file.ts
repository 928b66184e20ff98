/**
 * A model to evaluate or compare: as the IR reads it, else — a file the IR cannot represent (an
 * int8 QDQ ONNX, a .tflite, a TF.js graph model) — the file itself, read-only, in its own runtime
 * (export/open-exported.ts). The IR's error stands when the file is neither.
 */
import { existsSync, statSync } from 'node:fs';
import { ModelError, UserError } from '../model/errors.js';
import type { LoadedModel } from '../model/project.js';
import { loadModel } from '../import/load.js';
import { modelFormats } from '../import/index.js';
import type { ModelFormat } from '../import/reader.js';
import { orList } from '../util/words.js';
import { openExported, type ExportedModel } from '../../export/open-exported.js';

/** Formats opened only as exported files, read-only (ONNX and TF.js model.json are the IR readers' endings already). */
export const READ_ONLY_FORMATS: readonly ModelFormat[] = [{ name: '.tflite', extensions: ['.tflite'] }];

/** Every model file an evaluation, a comparison or the app opens: the IR's formats, then the read-only ones. */
export function openableFormats(): ModelFormat[] {
  return [...modelFormats(), ...READ_ONLY_FORMATS.map((f) => ({ ...f, extensions: [...f.extensions] }))];
}

/** Their file endings. */
export function openableExtensions(): string[] {
  return [...new Set(openableFormats().flatMap((f) => f.extensions))];
}

/** Their names in a sentence's words: ".seprune, .onnx, TF.js model.json or .tflite". */
export function openableNames(): string {
  return orList(openableFormats().map((f) => f.name));
}

export type OpenedModel = { loaded: LoadedModel } | { exported: ExportedModel };

export async function openModelFile(arg: string): Promise<OpenedModel> {
  if (existsSync(arg) && statSync(arg).isDirectory()) {
    const exported = await openExported(arg);
    if (exported) return { exported };
  }
  try {
    return { loaded: await loadModel(arg) };
  } catch (e) {
    if (!(e instanceof ModelError) || arg.startsWith('zoo:')) throw e;
    const exported = await openExported(arg);
    if (!exported) throw e;
    return { exported };
  }
}

/**
 * The IR of the model an exported file was made from (its metadata names it): parameters and
 * MACs for a comparison, which the file alone does not give. Refused with a sentence when the
 * file names none, it does not open, or it takes other inputs than the file.
 */
export async function sourceOf(arg: string, m: ExportedModel): Promise<LoadedModel> {
  if (!m.source) throw new UserError(`${arg} names no model it was exported from, so its parameters and MACs are unknown; compare the model you exported instead.`);
  let src: LoadedModel;
  try {
    src = await loadModel(m.source);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`${arg} was exported from ${m.source}, which does not open here (${e.message.replace(/\.$/, '')}); its parameters and MACs come from that model.`);
  }
  const shape = src.project.graph.inputs[0].shape.join('×');
  if (shape !== m.inputShape.join('×')) throw new UserError(`${arg} takes ${m.inputShape.join('×')} images but ${m.source}, which its metadata names as its source, takes ${shape}.`);
  return src;
}
