/**
 * The TFLite entry of the export registry: fp32, fp16 (float16 weights + DEQUANTIZE) and int8
 * full-integer (float32 I/O by default; `io: 'int8'` for int8 I/O), verified in the real TFLite
 * interpreter (tfjs-tflite wasm, in a child process).
 */
import type { Graph } from '../../app/model/ir.js';
import type { ExportArtifact, ExportOptions, Exporter, Runner } from '../types.js';
import { metadataEntries } from '../metadata.js';
import { writeTflite } from './write.js';
import { openTflite } from './verify.js';
import type { IoType } from './int8.js';

export { writeTflite, graphToTflite } from './write.js';
export { verifyTflite, openTflite } from './verify.js';
export { readTflite } from './read.js';

/** ExportOptions plus the TFLite-only choice of integer or float I/O for int8. */
export type TfliteExportOptions = ExportOptions & { io?: IoType };

async function* collect(calib: NonNullable<ExportOptions['calib']>): AsyncIterable<{ x: Float32Array; n: number }> {
  for await (const b of calib()) if (b.n > 0) yield b;
}

export async function writeTfliteArtifact(g: Graph, opts: TfliteExportOptions): Promise<ExportArtifact> {
  const io = opts.io ?? 'float';
  const { bytes, notes } = await writeTflite(g, {
    quant: opts.quant,
    io,
    metadata: metadataEntries(opts.meta),
    ...(opts.calib ? { calib: collect(opts.calib) } : {}),
  });
  if (opts.quant === 'int8' && (opts.gateAware ?? true)) {
    notes.push('gate-aware precision is not applied to TFLite: the SE gate path is int8 (LOGISTIC output 1/256, hard-sigmoid via RELU6)');
  }
  if (opts.calibMethod === 'percentile') notes.push('TFLite calibration uses MinMax (percentile is not implemented for this writer)');
  return { files: [{ name: 'model.tflite', data: bytes }], notes, keptFloat: [] };
}

export const tfliteExporter: Exporter = {
  format: 'tflite',
  quant: ['fp32', 'fp16', 'int8'],
  output: 'file',
  extension: 'tflite',
  write: writeTfliteArtifact,
  async open(path: string): Promise<Runner[]> {
    return [await openTflite(path)];
  },
};
