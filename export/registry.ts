/**
 * The export formats, one entry per writer. A format helper adds its writer with one import and
 * one list entry below (TFLite lives in ./tflite/).
 */
import { UserError } from '../app/model/errors.js';
import type { ExportFormat, Exporter, Quant } from './types.js';
import { onnxExporter } from './onnx/index.js';
import { tfjsExporter } from './tfjs/index.js';
import { tfliteExporter } from './tflite/index.js';
import { pytorchExporter } from './pytorch/index.js';

export const EXPORTERS: Exporter[] = [
  onnxExporter,
  tfjsExporter,
  tfliteExporter,
  pytorchExporter,
];

/** The formats, in the registry's order: every list of export formats (CLI help, the app) is this. */
export const exportFormatNames = (): ExportFormat[] => EXPORTERS.map((e) => e.format);
export const QUANTS: Quant[] = ['fp32', 'fp16', 'int8'];

/** The writer for `format`, checking it supports `quant`. */
export function findExporter(format: string, quant: string): Exporter {
  const e = EXPORTERS.find((x) => x.format === format);
  if (!e) throw new UserError(`The export format must be one of ${exportFormatNames().join(', ')}, got "${format}".`);
  if (!(QUANTS as string[]).includes(quant)) throw new UserError(`The precision must be one of ${QUANTS.join(', ')}, got "${quant}".`);
  if (!e.quant.includes(quant as Quant)) {
    throw new UserError(`The ${format} writer supports ${e.quant.join(', ')}, not ${quant}.`);
  }
  return e;
}
