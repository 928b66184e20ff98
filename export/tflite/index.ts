/**
 * The TFLite entry of the export registry: fp32, fp16 (float16 weights + DEQUANTIZE) and int8
 * full-integer (float32 I/O by default; `io: 'int8'` for int8 I/O; gate-aware by default: the SE
 * gate paths stay float32), verified in the real TFLite
 * interpreter (tfjs-tflite wasm, in a child process).
 */
import type { Graph } from '../../app/model/ir.js';
import type { ExportArtifact, ExportOptions, Exporter, Runner } from '../types.js';
import { metadataEntries } from '../metadata.js';
import { writeTflite } from './write.js';
import { openTflite } from './verify.js';
import type { IoType } from './int8.js';
import type { Plan } from './plan.js';

export { writeTflite, graphToTflite } from './write.js';
export { verifyTflite, openTflite } from './verify.js';
export { readTflite } from './read.js';

/** ExportOptions plus the TFLite-only choice of integer or float I/O for int8. */
export type TfliteExportOptions = ExportOptions & { io?: IoType };

async function* collect(calib: NonNullable<ExportOptions['calib']>): AsyncIterable<{ x: Float32Array; n: number }> {
  for await (const b of calib()) if (b.n > 0) yield b;
}

/** Gate-aware precision: the plan ops of every SE gate path (FCs, activations, gate, reshape) and the SE nodes they belong to. */
export function gateOps(plan: Plan): { ops: Set<number>; blocks: string[] } {
  const ops = new Set<number>();
  const blocks = new Set<string>();
  plan.ops.forEach((o, k) => {
    if (!o.se) return;
    ops.add(k);
    blocks.add(o.se);
  });
  return { ops, blocks: [...blocks] };
}

export async function writeTfliteArtifact(g: Graph, opts: TfliteExportOptions): Promise<ExportArtifact> {
  const io = opts.io ?? 'float';
  const gateAware = opts.quant === 'int8' && (opts.gateAware ?? true);
  let keptFloat: string[] = [];
  const calib = opts.calib;
  const { bytes, notes } = await writeTflite(g, {
    quant: opts.quant,
    io,
    metadata: metadataEntries(opts.meta),
    ...(calib ? { calib: () => collect(calib), calibMethod: opts.calibMethod ?? 'minmax' } : {}),
    ...(gateAware
      ? {
          floatOps: (plan: Plan) => {
            const { ops, blocks } = gateOps(plan);
            keptFloat = blocks.map((b) => `${b} (gate path: FCs, activations, gate)`);
            return ops;
          },
        }
      : {}),
  });
  if (gateAware && keptFloat.length) {
    notes.push(`gate-aware: the gate path of ${keptFloat.length} SE blocks is float32 (weight-only int8 FCs through DEQUANTIZE); the squeeze MEAN and the rescale MUL stay int8`);
  }
  return { files: [{ name: 'model.tflite', data: bytes }], notes, keptFloat };
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
