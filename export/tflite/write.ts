/**
 * The TFLite writer: IR → .tflite bytes in fp32, fp16 (float16 weights + DEQUANTIZE) or int8
 * (full integer, calibrated with MinMax or percentile on the executor, bias-corrected for weight
 * rounding, optionally with float ops such as the SE gate paths; int8 or float I/O). Batch norms are
 * folded into their convolutions first; the input is NHWC float32 [1, H, W, C] (int8 for
 * `io: 'int8'`), the output [1, K].
 */
import type { Graph } from '../../app/model/ir.js';
import { CalibrationMissingError } from '../../app/model/errors.js';
import { foldBatchNorms } from '../fold-bn.js';
import { encodeTflite } from './schema.js';
import { lowerGraph } from './lower.js';
import { fp32Model } from './emit.js';
import { fp16Model } from './fp16.js';
import { activationParams, int8Model, type IoType } from './int8.js';
import { chooseGranularity, fitInt8Size, PER_TENSOR_TOLERANCE, type Granularity, type WeightChoice } from './granularity.js';
import { calibratePlan, type CalibSource } from './calibrate.js';
import type { CalibMethod, GateChoice, HardSwishForm } from '../types.js';
import { GateMeter } from '../quantize/se-gate.js';
import type { Plan } from './plan.js';
import { costReport } from '../../app/model/accounting.js';
import { INT8_SIZE_RATIO, SIZE_RULE_MIN_PARAMS } from '../size-rule.js';

export interface TfliteWriteOptions {
  quant: 'fp32' | 'fp16' | 'int8';
  /** int8 only: integer or float input/output (default 'float'). */
  io?: IoType;
  /** int8 only: calibration images, NHWC float32 batches after preprocessing (an array, or a function giving a fresh pass). */
  calib?: CalibSource;
  /** int8 only: MinMax (default) or percentile (99.99 %, two passes over the images). */
  calibMethod?: CalibMethod;
  /** int8 only: plan ops kept in float32 (float32 weights), given the gate measurement when `measureGates`; see {@link gateOps}. */
  floatOps?: (plan: Plan, gates: GateChoice[]) => ReadonlySet<number>;
  /** int8 only: measure every SE gate path on the calibration pass (export/quantize/se-gate.ts). */
  measureGates?: boolean;
  /** int8 only: subtract the calibrated mean shift of weight rounding from each bias (default true). */
  biasCorrection?: boolean;
  /** int8 only: per-channel or per-tensor conv / depthwise filters, chosen per layer by measurement (default) or forced. */
  granularity?: Granularity;
  /** hard-swish as the HARD_SWISH op (default) or decomposed into ops XNNPACK runs in int8. */
  hardSwish?: HardSwishForm;
  /** Written as Model.metadata entries (name → UTF-8 buffer). */
  metadata?: Record<string, string>;
}

export interface TfliteWriteResult {
  bytes: Uint8Array;
  notes: string[];
  /** int8: the filter granularity chosen for each conv / depthwise layer. */
  weights?: WeightChoice[];
  /** int8 with `measureGates`: each SE block's gate measurement. */
  gates?: GateChoice[];
}

/** Lowers `g` (batch norms folded) to the float plan; exposed for tests. */
export function planFor(g: Graph, hardSwish?: HardSwishForm): { plan: Plan; folded: Graph; foldedCount: number } {
  const { graph, folded } = foldBatchNorms(g);
  return { plan: lowerGraph(graph, hardSwish ? { hardSwish } : {}), folded: graph, foldedCount: folded };
}

/**
 * No names for inner tensors (the field is optional; the interpreter reads a missing one as
 * ""); the graph's input and output keep their IR names. A name costs ~12 bytes in every file
 * even when short, and nothing reads the inner ones. Applied to every precision alike, so size
 * ratios compare like with like.
 */
export function compactNames(plan: Plan): void {
  plan.tensors.forEach((t, i) => {
    if (i !== plan.input && i !== plan.output) t.name = '';
  });
}

export async function writeTflite(g: Graph, opts: TfliteWriteOptions): Promise<TfliteWriteResult> {
  const { plan, folded, foldedCount } = planFor(g, opts.hardSwish);
  const names = plan.tensors.map((t) => t.name);
  compactNames(plan);
  const metadata = { ...(opts.metadata ?? {}), quant: opts.quant };
  const description = `${g.name} (${opts.quant}) written by se-prune-studio`;
  const notes: string[] = [];
  if (foldedCount) notes.push(`folded ${foldedCount} batch norms into their convolutions`);
  const hardSwishes = g.nodes.filter((n) => n.kind === 'activation' && n.attrs.fn === 'hard-swish').length;
  if (opts.hardSwish === 'decompose' && hardSwishes) notes.push(`${hardSwishes} hard-swish written as ADD (+3, fused RELU6), MUL, MUL (×1/6), which XNNPACK runs in int8 (HARD_SWISH it runs in fp32 only)`);
  if (plan.padV2?.length) notes.push(`PADV2 (lowest-value pads, which XNNPACK, the GPU delegate and Arm NN do not accept) for max pools whose input may be negative, where no exact PAD exists: ${plan.padV2.join(', ')}`);
  if (opts.quant === 'fp32') return { bytes: encodeTflite(fp32Model(plan, description, metadata)), notes };
  if (opts.quant === 'fp16') {
    notes.push('float16 weights with DEQUANTIZE ops; float32 activations, input and output');
    return { bytes: encodeTflite(fp16Model(plan, description, metadata)), notes };
  }
  if (!opts.calib) throw new CalibrationMissingError('int8 export needs calibration images', 'export');
  const io = opts.io ?? 'float';
  const meter = opts.measureGates ? new GateMeter(folded) : undefined;
  const { ranges, images, inputMeans, inputVars } = await calibratePlan(folded, plan, opts.calib, opts.calibMethod, meter);
  const gates = meter?.measure('tflite') ?? [];
  const floatOps = opts.floatOps?.(plan, gates) ?? new Set<number>();
  const { perTensor, choices, filterOf } = chooseGranularity(plan, names, activationParams(plan, ranges, floatOps), floatOps, inputVars, opts.granularity);
  const encode = (): Uint8Array =>
    encodeTflite(int8Model(plan, ranges, io, description, { ...metadata, io }, floatOps, opts.biasCorrection === false ? new Map() : inputMeans, perTensor));
  // The size rule binds from 100k parameters: measured-cheapest layers go per-tensor until it holds.
  const measured = (opts.granularity ?? 'measured') === 'measured';
  const limit = measured && costReport(g).params >= SIZE_RULE_MIN_PARAMS ? INT8_SIZE_RATIO * encodeTflite(fp32Model(plan, description, { ...metadata, quant: 'fp32' })).length : Infinity;
  const { bytes, switched } = fitInt8Size(choices, filterOf, perTensor, limit, encode);
  notes.push(
    `int8 full-integer: int8 conv weights (${choices.length - perTensor.size} layers per-channel, ${perTensor.size} per-tensor${opts.granularity && opts.granularity !== 'measured' ? '' : ` where it adds ≤ ${Math.round(100 * (PER_TENSOR_TOLERANCE - 1))} % output noise`})${opts.biasCorrection === false ? '' : ' with bias correction'}, per-tensor int8 activations (${opts.calibMethod === 'percentile' ? 'percentile 99.99 %' : 'MinMax'} on ${images} images), int32 biases; ${io === 'int8' ? 'int8' : 'float32'} input and output`,
  );
  if (switched.length) {
    notes.push(`size rule (int8 ≤ ${100 * INT8_SIZE_RATIO} % of fp32 from ${SIZE_RULE_MIN_PARAMS / 1000}k parameters): ${switched.length} more layers per-tensor, lowest measured noise first: ${switched.map((c) => `${c.layer} (${c.noiseRatio})`).join(', ')}`);
  }
  return { bytes, notes, weights: choices, ...(meter ? { gates } : {}) };
}

/** The brief's name for the writer. */
export const graphToTflite = writeTflite;
