/**
 * The ONNX writer: fp32 (the IR as graphToOnnx writes it), fp16 (batch norms folded, float16
 * weights and activations, float32 I/O) and int8 static QDQ (batch norms folded, calibrated on
 * the calibration set, gate-aware by default: every SE gate path stays float — smaller than an int8
 * one in QDQ form and never less accurate — and each block's int8 gate error is measured and
 * reported). Verified in onnxruntime-node and onnxruntime-web.
 */
import { readFileSync } from 'node:fs';
import type { Graph } from '../../app/model/ir.js';
import { seNodes } from '../../app/model/ir.js';
import { CalibrationMissingError } from '../../app/model/errors.js';
import { buildOnnxModel, DEFAULT_OPSET } from '../../app/engine/onnx/to-onnx.js';
import { encodeModel } from '../../app/engine/onnx/schema.js';
import type { ExportArtifact, ExportOptions, Exporter, Runner } from '../types.js';
import { metadataEntries } from '../metadata.js';
import { foldBatchNorms } from '../fold-bn.js';
import { toFloat16 } from './fp16.js';
import { applyQdq, planQdq } from './qdq.js';
import { compactNames } from './compact.js';
import { calibrate } from '../quantize/calibrate.js';
import { openOrtNode, openOrtWeb, openOrtXnnpackOptional, ortXnnpackAbsent } from '../verify/onnx.js';
import { GATE_OUTPUT_TOLERANCE, measureGates } from '../quantize/se-gate.js';

/** Whether gate-aware int8 also keeps the SE FC weights float (false: int8 weights, float compute). */
export const FLOAT_GATE_WEIGHTS = false;

export async function writeOnnx(g: Graph, opts: ExportOptions): Promise<ExportArtifact> {
  const opset = opts.opset ?? DEFAULT_OPSET;
  const metadata = metadataEntries(opts.meta, { quant: opts.quant });
  const notes: string[] = [];
  if (opts.quant === 'fp32') {
    return { files: [{ name: 'model.onnx', data: encodeModel(buildOnnxModel(g, { opset, metadata })) }], notes, keptFloat: [] };
  }
  const { graph, folded } = foldBatchNorms(g);
  if (folded) notes.push(`folded ${folded} batch norms into their convolutions`);
  const model = buildOnnxModel(graph, { opset, metadata });
  if (opts.quant === 'fp16') {
    notes.push('float16 weights and activations; float32 input and output');
    return { files: [{ name: 'model.onnx', data: encodeModel(toFloat16(model)) }], notes, keptFloat: [] };
  }
  if (!opts.calib) throw new CalibrationMissingError('int8 export needs calibration images', 'export');
  const gateAware = opts.gateAware ?? true;
  // Gate-aware: measure each SE block's int8 gate path on the calibration images and report it, but keep
  // every gate path float — in QDQ form an int8 gate path costs ~5 Q/DQ pairs per block, more than its
  // float form (weight-only int8 FCs), and was never measured more accurate (export/quantize/se-gate.ts).
  const measured = gateAware ? await measureGates(graph, opts.calib, 'onnx') : undefined;
  const gates = measured?.map((m) => ({ ...m, keptFloat: true }));
  const floatGates = gateAware ? seNodes(graph).map((n) => n.name) : [];
  const qo = { floatGates, floatGateWeights: FLOAT_GATE_WEIGHTS };
  const plan = planQdq(model, qo);
  const method = opts.calibMethod ?? 'minmax';
  const ranges = await calibrate(model, plan.tensors, opts.calib, method);
  notes.push(`int8 QDQ: per-channel symmetric int8 weights, per-tensor uint8 activations (${plan.tensors.length} tensors, ${method} calibration)`);
  notes.push('value names compacted, node names dropped');
  if (gates?.length) {
    const hurt = gates.filter((m) => m.int8Hurts).length;
    notes.push(
      `gate-aware: all ${gates.length} SE gate paths kept float (${plan.keptNodes.length} nodes; weight-only int8 FCs, float activations) — float gate paths are smaller in QDQ form and never less accurate; measured, int8 would add more than ${GATE_OUTPUT_TOLERANCE} × the block output's own rounding error in ${hurt} of ${gates.length}`,
    );
    notes.push(`gate measurement (block: int8 output error / own rounding error): ${gates.map((m) => `${m.block} ${m.outputErrRatio}${m.int8Hurts ? ' (int8 hurts)' : ''}`).join(', ')}`);
  }
  return { files: [{ name: 'model.onnx', data: encodeModel(compactNames(applyQdq(model, plan, ranges, qo))) }], notes, keptFloat: plan.keptNodes, ...(gates ? { gates } : {}) };
}

export const onnxExporter: Exporter = {
  format: 'onnx',
  quant: ['fp32', 'fp16', 'int8'],
  output: 'file',
  extension: 'onnx',
  write: writeOnnx,
  async open(path: string): Promise<Runner[]> {
    const bytes = readFileSync(path);
    const opened: Runner[] = [];
    try {
      opened.push(await openOrtNode(bytes));
      opened.push(await openOrtWeb(bytes));
      opened.push(...(await openOrtXnnpackOptional(bytes)));
      return opened;
    } catch (e) {
      for (const r of opened) await r.release();
      throw e;
    }
  },
  absentRuntimes: ortXnnpackAbsent,
};
