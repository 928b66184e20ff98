/**
 * Calibration ranges for the int8 TFLite plan: the calibration images run through the IR
 * executor, which captures every IR tensor a plan tensor's range comes from; derived ranges (the
 * SE block's inner vectors) are computed from the captured values, fixed ones taken as they are.
 * MinMax keeps the observed extremes over all images; percentile makes a second pass that fills
 * a histogram over each MinMax range and cuts it with the ONNX writer's `percentileRange`
 * (export/quantize/calibrate.ts). Images go through in chunks of a few so the captured tensors
 * stay small; every chunk widens the same running range, so all images count.
 */
import { runGraph } from '../../app/engine/executor.js';
import type { Graph } from '../../app/model/ir.js';
import { UserError } from '../../app/model/errors.js';
import { percentileRange } from '../quantize/calibrate.js';
import type { CalibMethod } from '../types.js';
import type { Plan } from './plan.js';
import { Op } from './schema.js';

export interface Range {
  min: number;
  max: number;
}

export interface CalibBatch {
  x: Float32Array;
  n: number;
}

/** Calibration images: a re-iterable collection, or a function giving a fresh pass each call. */
export type CalibSource = Iterable<CalibBatch> | (() => AsyncIterable<CalibBatch> | Iterable<CalibBatch>);

const CHUNK = 8;
const BINS = 4096;

function widen(r: Range, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < r.min) r.min = x;
    if (x > r.max) r.max = x;
  }
}

/** Where the input of a weighted op (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) is measured: a tensor with a range source, and the channel offset into it. */
function meanSource(plan: Plan, input: number): { tensor: number; offset: number } | undefined {
  let t = input;
  let offset = 0;
  for (let hops = 0; hops < 4; hops++) {
    const src = plan.tensors[t].range;
    if (src && src.kind !== 'fixed') return { tensor: t, offset };
    const p = plan.ops.find((o) => o.outputs.includes(t));
    if (!p) return undefined;
    if (p.op === Op.PAD || p.op === Op.PADV2) t = p.inputs[0];
    else if (p.op === Op.SPLIT) {
      offset += p.outputs.indexOf(t) * plan.tensors[t].shape[3];
      t = p.inputs[1];
    } else return undefined;
  }
  return undefined;
}

const WEIGHTED: number[] = [Op.CONV_2D, Op.DEPTHWISE_CONV_2D, Op.FULLY_CONNECTED];

/**
 * Ranges by plan tensor index, for every tensor with a range source; and, by op index, the mean
 * and variance of each input channel of every weighted op (over images and positions: bias
 * correction's E[x]; the weight-granularity choice's Var[x], see granularity.ts).
 */
export async function calibratePlan(
  g: Graph,
  plan: Plan,
  source: CalibSource,
  method: CalibMethod = 'minmax',
  /** Also sees every executor run of the first pass (with these IR tensors captured too): the gate measurement. */
  observer?: { capture: string[]; observe(captured: Map<string, Float32Array>, n: number): void },
): Promise<{ ranges: Map<number, Range>; images: number; inputMeans: Map<number, Float64Array>; inputVars: Map<number, Float64Array> }> {
  const ranges = new Map<number, Range>();
  const needed = new Set<string>();
  const measured: number[] = [];
  plan.tensors.forEach((t, i) => {
    if (!t.range) return;
    if (t.range.kind === 'fixed') ranges.set(i, { min: t.range.min, max: t.range.max });
    else {
      ranges.set(i, { min: Infinity, max: -Infinity });
      measured.push(i);
      needed.add(t.range.kind === 'ir' ? t.range.name : t.range.from);
    }
  });
  const capture = [...new Set([...needed, ...(observer?.capture ?? [])])];
  const per = g.inputs[0].shape.reduce((a, b) => a * b, 1);
  const pass = async (visit: (i: number, v: Float32Array) => void, observe?: (captured: Map<string, Float32Array>, n: number) => void): Promise<number> => {
    let images = 0;
    for await (const batch of typeof source === 'function' ? source() : source) {
      for (let s = 0; s < batch.n; s += CHUNK) {
        const n = Math.min(CHUNK, batch.n - s);
        const { captured } = await runGraph(g, batch.x.subarray(s * per, (s + n) * per), n, capture);
        observe?.(captured, n);
        for (const i of measured) {
          const src = plan.tensors[i].range!;
          if (src.kind === 'fixed') continue;
          visit(i, src.kind === 'ir' ? captured.get(src.name)! : src.f(captured.get(src.from)!, n));
        }
        images += n;
      }
    }
    return images;
  };
  // Per-channel sums (and sums of squares) of the tensors weighted ops read.
  const sums = new Map<number, { sum: Float64Array; sq: Float64Array; count: number }>();
  const wanted = new Map<number, { tensor: number; offset: number; channels: number }>();
  plan.ops.forEach((o, k) => {
    if (!WEIGHTED.includes(o.op)) return;
    const m = meanSource(plan, o.inputs[0]);
    if (!m) return;
    const shape = plan.tensors[o.inputs[0]].shape;
    wanted.set(k, { ...m, channels: shape[shape.length - 1] });
    const C = plan.tensors[m.tensor].shape.at(-1)!;
    if (!sums.has(m.tensor)) sums.set(m.tensor, { sum: new Float64Array(C), sq: new Float64Array(C), count: 0 });
  });
  const images = await pass((i, v) => {
    widen(ranges.get(i)!, v);
    const s = sums.get(i);
    if (!s) return;
    const C = s.sum.length;
    for (let k = 0; k < v.length; k++) {
      s.sum[k % C] += v[k];
      s.sq[k % C] += v[k] * v[k];
    }
    s.count += v.length / C;
  }, observer && ((c, n) => observer.observe(c, n)));
  const inputMeans = new Map<number, Float64Array>();
  const inputVars = new Map<number, Float64Array>();
  for (const [k, w] of wanted) {
    const s = sums.get(w.tensor)!;
    if (!s.count || w.offset + w.channels > s.sum.length) continue;
    const mean = s.sum.slice(w.offset, w.offset + w.channels).map((v) => v / s.count);
    inputMeans.set(k, mean);
    inputVars.set(k, s.sq.slice(w.offset, w.offset + w.channels).map((v, c) => Math.max(0, v / s.count - mean[c] * mean[c])));
  }
  if (images === 0) throw new UserError('The calibration set has no images; int8 quantization needs at least one.');
  if (method === 'percentile') {
    const hist = new Map<number, Float64Array>(measured.map((i) => [i, new Float64Array(BINS)]));
    await pass((i, v) => {
      const r = ranges.get(i)!;
      const h = hist.get(i)!;
      const width = (r.max - r.min) / BINS || 1;
      for (let k = 0; k < v.length; k++) h[Math.min(BINS - 1, Math.max(0, Math.floor((v[k] - r.min) / width)))]++;
    });
    for (const i of measured) ranges.set(i, percentileRange(ranges.get(i)!, hist.get(i)!));
  }
  return { ranges, images, inputMeans, inputVars };
}
