/**
 * The TFLite entry of the export registry: fp32, fp16 (float16 weights + DEQUANTIZE) and int8
 * full-integer (float32 I/O by default; `io: 'int8'` for int8 I/O; per-channel or per-tensor filters
 * chosen per layer; gate-aware by default: an SE gate path stays float32 where the measurement on
 * the calibration images shows int8 hurts it), verified in the real TFLite
 * interpreter (tfjs-tflite wasm, in a child process) and, where installed, in Arm NN.
 */
import type { Graph } from '../../app/model/ir.js';
import type { ExportArtifact, ExportOptions, Exporter, GateChoice, Runner } from '../types.js';
import { GATE_OUTPUT_TOLERANCE } from '../quantize/se-gate.js';
import type { Granularity } from './granularity.js';
import { metadataEntries } from '../metadata.js';
import { writeTflite } from './write.js';
import { openTflite } from './verify.js';
import { armnnAbsent, openArmnnOptional } from './armnn.js';
import type { IoType } from './int8.js';
import type { Plan } from './plan.js';

export { writeTflite, graphToTflite } from './write.js';
export { verifyTflite, openTflite } from './verify.js';
export { readTflite } from './read.js';

/** ExportOptions plus the TFLite-only choices of integer or float I/O and of the filter granularity for int8. */
export type TfliteExportOptions = ExportOptions & { io?: IoType; granularity?: Granularity };

async function* collect(calib: NonNullable<ExportOptions['calib']>): AsyncIterable<{ x: Float32Array; n: number }> {
  for await (const b of calib()) if (b.n > 0) yield b;
}

/** Gate-aware precision: the plan ops of every SE gate path (FCs, activations, gate, reshape), or of the blocks in `only`, and the SE nodes they belong to. */
export function gateOps(plan: Plan, only?: ReadonlySet<string>): { ops: Set<number>; blocks: string[] } {
  const ops = new Set<number>();
  const blocks = new Set<string>();
  plan.ops.forEach((o, k) => {
    if (!o.se || (only && !only.has(o.se))) return;
    ops.add(k);
    blocks.add(o.se);
  });
  return { ops, blocks: [...blocks] };
}

export async function writeTfliteArtifact(g: Graph, opts: TfliteExportOptions): Promise<ExportArtifact> {
  const io = opts.io ?? 'float';
  const gateAware = opts.quant === 'int8' ? (opts.gateAware ?? true) : false;
  let keptFloat: string[] = [];
  const calib = opts.calib;
  const { bytes, notes, weights, gates: measured } = await writeTflite(g, {
    quant: opts.quant,
    io,
    metadata: metadataEntries(opts.meta),
    ...(opts.granularity ? { granularity: opts.granularity } : {}),
    ...(opts.hardSwish ? { hardSwish: opts.hardSwish } : {}),
    ...(calib ? { calib: () => collect(calib), calibMethod: opts.calibMethod ?? 'minmax' } : {}),
    ...(gateAware
      ? {
          measureGates: true,
          floatOps: (plan: Plan, measured: GateChoice[]) => {
            const { ops, blocks } = gateOps(plan, gateAware === 'all' ? undefined : new Set(measured.filter((m) => m.keptFloat).map((m) => m.block)));
            keptFloat = blocks.map((b) => `${b} (gate path: FCs, activations, gate)`);
            return ops;
          },
        }
      : {}),
  });
  // 'all': every gate path float, whatever the measurement says (reported as int8Hurts).
  const gates = gateAware === 'all' ? measured?.map((m) => ({ ...m, keptFloat: true })) : measured;
  if (gates?.length) {
    notes.push(
      `gate-aware (${gateAware === 'all' ? 'all gate paths float' : `float where int8 adds more than ${GATE_OUTPUT_TOLERANCE} × the block output's own rounding error`}): ${keptFloat.length} of ${gates.length} SE gate paths float32 (float32 weights), the others int8; the squeeze MEAN and the rescale MUL stay int8`,
    );
  }
  if (gates?.length) notes.push(`gate measurement (block: int8 output error / own rounding error): ${gates.map((m) => `${m.block} ${m.outputErrRatio}${m.int8Hurts ? ' (int8 hurts)' : ''}`).join(', ')}`);
  const pt = (weights ?? []).filter((w) => w.granularity === 'per-tensor');
  if (weights?.length) notes.push(`per-tensor filters (${pt.length} of ${weights.length} layers): ${pt.map((w) => w.layer).join(', ') || 'none'}`);
  return { files: [{ name: 'model.tflite', data: bytes }], notes, keptFloat, ...(gates ? { gates } : {}), ...(weights ? { weights } : {}) };
}

export const tfliteExporter: Exporter = {
  format: 'tflite',
  quant: ['fp32', 'fp16', 'int8'],
  output: 'file',
  extension: 'tflite',
  write: writeTfliteArtifact,
  /** The TFLite interpreter (tfjs-tflite), then Arm NN where Debian's python3-pyarmnn is installed. */
  async open(path: string): Promise<Runner[]> {
    const first = await openTflite(path);
    try {
      return [first, ...(await openArmnnOptional(path))];
    } catch (e) {
      await first.release();
      throw e;
    }
  },
  absentRuntimes: armnnAbsent,
};
