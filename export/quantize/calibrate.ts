/**
 * Activation ranges for static int8 quantization. The float ONNX model is rewritten with every
 * tensor to be quantized exposed as an extra graph output (a calibration variant that is never
 * written to disk), the calibration images run through onnxruntime, and each tensor's range is
 * taken by MinMax (the observed extremes) or Percentile (the 0.01 % and 99.99 % quantiles from a
 * histogram over the MinMax range, which ignores a few outliers at the price of clipping them).
 */
import { encodeModel, DataType, type ModelProto } from '../../app/engine/onnx/schema.js';
import { ONNX_INPUT_NAME } from '../../app/engine/onnx/to-onnx.js';
import { createOrtSession } from '../../app/engine/ort.js';
import { UserError } from '../../app/model/errors.js';
import type { CalibBatch, CalibMethod } from '../types.js';

export interface TensorRange {
  min: number;
  max: number;
}

export const PERCENTILE = 99.99;
const BINS = 4096;

/** A copy of `model` whose graph also outputs `tensors` (float32, shape left to onnxruntime). */
export function calibrationVariant(model: ModelProto, tensors: string[]): ModelProto {
  const graph = model.graph!;
  const have = new Set((graph.output ?? []).map((o) => o.name));
  const extra = tensors
    .filter((t) => !have.has(t) && t !== ONNX_INPUT_NAME)
    .map((name) => ({ name, type: { tensor_type: { elem_type: DataType.FLOAT } } }));
  return { ...model, graph: { ...graph, output: [...(graph.output ?? []), ...extra] } };
}

/** Ranges of `tensors` (ONNX value names of `model`, which must be float32) over the calibration batches. */
export async function calibrate(
  model: ModelProto,
  tensors: string[],
  batches: () => AsyncIterable<CalibBatch>,
  method: CalibMethod = 'minmax',
): Promise<Map<string, TensorRange>> {
  const session = await createOrtSession(encodeModel(calibrationVariant(model, tensors)));
  const ranges = new Map<string, TensorRange>(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  const hist = new Map<string, Float64Array>();
  const each = async (visit: (name: string, data: Float32Array) => void): Promise<number> => {
    let images = 0;
    for await (const b of batches()) {
      if (b.n === 0) continue;
      images += b.n;
      const { outputs } = await session.run(b.x, b.n);
      if (ranges.has(ONNX_INPUT_NAME)) visit(ONNX_INPUT_NAME, b.x);
      session.outputNames.forEach((name, i) => {
        if (ranges.has(name)) visit(name, outputs[i]);
      });
    }
    return images;
  };
  try {
    const images = await each((name, data) => {
      const r = ranges.get(name)!;
      for (const v of data) {
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
      }
    });
    if (images === 0) throw new UserError('The calibration set has no images; int8 quantization needs at least one.');
    if (method === 'percentile') {
      for (const t of tensors) hist.set(t, new Float64Array(BINS));
      await each((name, data) => {
        const r = ranges.get(name)!;
        const h = hist.get(name)!;
        const width = (r.max - r.min) / BINS || 1;
        for (const v of data) h[Math.min(BINS - 1, Math.max(0, Math.floor((v - r.min) / width)))]++;
      });
      for (const t of tensors) ranges.set(t, percentileRange(ranges.get(t)!, hist.get(t)!));
    }
  } finally {
    await session.release();
  }
  return ranges;
}

/** The (100 − p) and p percentiles of a histogram over [r.min, r.max] (bin edges, conservative). */
export function percentileRange(r: TensorRange, h: Float64Array, p = PERCENTILE): TensorRange {
  const total = h.reduce((a, b) => a + b, 0);
  if (total === 0 || !(r.max > r.min)) return r;
  const cut = total * (1 - p / 100);
  const width = (r.max - r.min) / h.length;
  let acc = 0;
  let lo = 0;
  while (lo < h.length - 1 && acc + h[lo] <= cut) acc += h[lo++];
  acc = 0;
  let hi = h.length - 1;
  while (hi > 0 && acc + h[hi] <= cut) acc += h[hi--];
  return { min: r.min + lo * width, max: r.min + (hi + 1) * width };
}
