/**
 * The page's lists of model files, made from the formats the API reads (`modelFormats`): the file
 * input's `accept`, which dropped files are models, and the sentence that names them.
 */
import type { ModelFormatDto } from '../../app/api/contract.js';
import { orList } from '../../app/util/words.js';

/** The file input's accept list: every model extension and every companion's. */
export function acceptOf(formats: readonly ModelFormatDto[]): string {
  return [...new Set(formats.flatMap((f) => [...f.extensions, ...(f.companions ?? [])]))].join(',');
}

/** Whether a file of this name is a model (not a companion such as a weight shard). */
export function isModelFile(formats: readonly ModelFormatDto[], name: string): boolean {
  const lower = name.toLowerCase();
  return formats.some((f) => f.extensions.some((e) => lower.endsWith(e)));
}

/** "a .seprune, .onnx, or a TF.js model.json with its weight files". */
export function formatsInWords(formats: readonly ModelFormatDto[]): string {
  const items = formats.map((f) => (f.companions?.length ? `a ${f.name} with ${f.companionsNote ?? 'the files beside it'}` : f.name));
  if (items.length === 0) return 'a model file';
  const list = items.length > 1 ? `${items.slice(0, -1).join(', ')}, or ${items.at(-1)}` : items[0];
  return list.startsWith('a ') ? list : `a ${list}`;
}

/** ".seprune, .onnx or TF.js model.json": the names alone. */
export function namesInWords(formats: readonly ModelFormatDto[]): string {
  return orList(formats.map((f) => f.name), 'model');
}
