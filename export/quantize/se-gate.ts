/**
 * Gate-aware precision, measured: for each SE block, how much an all-int8 gate path (squeeze,
 * both FCs, inner activation, gate) would change the block's output on the calibration images,
 * and whether that is enough to keep the path in float.
 *
 * The int8 path is simulated in plain JS on the block's pooled vectors ([n, C]: cheap), as the
 * writers would quantize it: every activation (pooled vector, hidden vector, gate logits, gate)
 * rounded to 255 levels over its calibrated MinMax range widened to hold 0 (TFLite int8 and ONNX
 * uint8 alike; TFLite's sigmoid output on its fixed 1/256 step), the FC weights symmetric int8
 * (TFLite: one scale per tensor; ONNX: one per output), int32 biases (exact enough to ignore).
 * δg = gate(int8 path) − gate(float) per image and channel. Its effect on the block output
 * x · g is |x| · |δg|; the measure is its mean over images, positions and channels,
 *   ratio = mean(mean_hw |x[i, ·, ·, c]| · |δg[i, c]|) / (s_y / 4),
 * against the mean rounding error of the block output's own int8 step s_y (s_y / 4: uniform
 * rounding). The gate path stays float when ratio > {@link GATE_OUTPUT_TOLERANCE}: int8 gates
 * would then add more error to the block output than its own int8 rounding already does.
 */
import { runGraph } from '../../app/engine/executor.js';
import type { Graph, SeNode } from '../../app/model/ir.js';
import { seNodes } from '../../app/model/ir.js';
import { activate, fullyConnected, globalAverage } from '../tflite/se-math.js';
import type { CalibBatch, GateChoice } from '../types.js';

/** Largest ratio of the int8 gate's block-output error to the output's own rounding error that keeps the gate int8. */
export const GATE_OUTPUT_TOLERANCE = 0.5;

export type GateScheme = 'tflite' | 'onnx';

const CHUNK = 8;

/** Rounds to the 255-level grid of [min(lo, 0), max(hi, 0)] (what int8 / uint8 asymmetric activations hold). */
function fakeQuant(v: Float32Array, lo: number, hi: number, step?: number): Float32Array {
  const a = Math.min(0, lo);
  const b = Math.max(0, hi);
  const s = step ?? (b - a) / 255;
  if (!(s > 0)) return v;
  const z = Math.round(-a / s);
  return v.map((x) => (Math.max(0, Math.min(255, Math.round(x / s) + z)) - z) * s);
}

function range(v: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/** Symmetric int8 weights of an [I, O] matrix: one scale (tflite) or one per output column (onnx). */
function quantWeights(w: Float32Array, O: number, scheme: GateScheme): Float32Array {
  const max = new Float64Array(scheme === 'tflite' ? 1 : O);
  const col = (k: number): number => (scheme === 'tflite' ? 0 : k % O);
  for (let k = 0; k < w.length; k++) max[col(k)] = Math.max(max[col(k)], Math.abs(w[k]));
  return w.map((v, k) => {
    const s = max[col(k)] / 127;
    return s > 0 ? Math.max(-127, Math.min(127, Math.round(v / s))) * s : 0;
  });
}

/** The float and the simulated int8 gate of block `se` for pooled vectors p [n, C]. */
function gates(se: SeNode, p: Float32Array, n: number, scheme: GateScheme): { float: Float32Array; int8: Float32Array } {
  const { channels: C, hidden: H, innerAct, gate, gateAlpha, gateBeta } = se.attrs;
  const w = se.weights;
  const g = (z: Float32Array): Float32Array => activate(z, gate, gateAlpha, gateBeta);
  const hPre = fullyConnected(p, n, w.fc1, w.fc1Bias, C, H);
  const h = activate(hPre, innerAct);
  const z = fullyConnected(h, n, w.fc2, w.fc2Bias, H, C);
  const float = g(z);

  const fq = (v: Float32Array): Float32Array => fakeQuant(v, ...range(v));
  const w1 = quantWeights(w.fc1, H, scheme);
  const w2 = quantWeights(w.fc2, C, scheme);
  const fused = innerAct === 'relu' || innerAct === 'relu6' || innerAct === 'linear';
  const pq = fq(p);
  const hq0 = fullyConnected(pq, n, w1, w.fc1Bias, C, H);
  const hq = fq(activate(fused ? hq0 : fq(hq0), innerAct));
  const zq = fullyConnected(hq, n, w2, w.fc2Bias, H, C);
  // TFLite's LOGISTIC reads int8 logits and writes on a fixed 1/256 grid; a hard-sigmoid gate is computed from quantized logits (ONNX) or is the quantized relu6 output (TFLite).
  const gq = gate === 'sigmoid' ? g(fq(zq)) : g(scheme === 'onnx' ? fq(zq) : zq);
  const int8 = scheme === 'tflite' && gate === 'sigmoid' ? fakeQuant(gq, 0, 1, 1 / 256) : fq(gq);
  return { float, int8 };
}

/**
 * Collects what the measurement needs from executor runs over the calibration images (each SE
 * block's input and output, which the TFLite calibration pass captures anyway) and measures every
 * SE block of the graph at the end.
 */
export class GateMeter {
  private readonly blocks: SeNode[];
  /** IR tensors to capture: each SE block's input and output. */
  readonly capture: string[];
  private readonly pooled: Float32Array[][];
  private readonly meanAbs: Float32Array[][];
  private readonly outRange: [number, number][];
  private images = 0;

  constructor(g: Graph) {
    this.blocks = seNodes(g);
    this.capture = [...new Set(this.blocks.flatMap((b) => [b.inputs[0], b.name]))];
    this.pooled = this.blocks.map(() => []);
    this.meanAbs = this.blocks.map(() => []);
    this.outRange = this.blocks.map(() => [0, 0]);
  }

  /** One executor run of n images. */
  observe(captured: Map<string, Float32Array>, n: number): void {
    this.blocks.forEach((b, k) => {
      const x = captured.get(b.inputs[0])!;
      const C = b.attrs.channels;
      this.pooled[k].push(globalAverage(x, n, C));
      this.meanAbs[k].push(globalAverage(x.map(Math.abs), n, C));
      const [lo, hi] = range(captured.get(b.name)!);
      this.outRange[k][0] = Math.min(this.outRange[k][0], lo);
      this.outRange[k][1] = Math.max(this.outRange[k][1], hi);
    });
    this.images += n;
  }

  measure(scheme: GateScheme): GateChoice[] {
    const cat = (parts: Float32Array[]): Float32Array => {
      const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };
    return this.blocks.map((b, k) => {
      const ax = cat(this.meanAbs[k]);
      const { float, int8 } = gates(b, cat(this.pooled[k]), this.images, scheme);
      let maxErr = 0;
      let sumErr = 0;
      let sumOut = 0;
      for (let i = 0; i < float.length; i++) {
        const d = Math.abs(int8[i] - float[i]);
        maxErr = Math.max(maxErr, d);
        sumErr += d;
        sumOut += ax[i] * d;
      }
      const sy = (this.outRange[k][1] - this.outRange[k][0]) / 255;
      const ratio = sy > 0 && float.length ? sumOut / float.length / (sy / 4) : 0;
      const r = (v: number): number => Number(v.toPrecision(3));
      return { block: b.name, keptFloat: ratio > GATE_OUTPUT_TOLERANCE, int8Hurts: ratio > GATE_OUTPUT_TOLERANCE, gateMaxAbsErr: r(maxErr), gateMeanAbsErr: r(float.length ? sumErr / float.length : 0), outputErrRatio: r(ratio) };
    });
  }
}

/** {@link GateMeter} over its own executor pass of the calibration images (the ONNX writer calibrates in onnxruntime). */
export async function measureGates(g: Graph, calib: () => AsyncIterable<CalibBatch> | Iterable<CalibBatch>, scheme: GateScheme): Promise<GateChoice[]> {
  const meter = new GateMeter(g);
  if (!meter.capture.length) return [];
  const per = g.inputs[0].shape.reduce((a, b) => a * b, 1);
  for await (const batch of calib()) {
    for (let s = 0; s < batch.n; s += CHUNK) {
      const n = Math.min(CHUNK, batch.n - s);
      meter.observe((await runGraph(g, batch.x.subarray(s * per, (s + n) * per), n, meter.capture)).captured, n);
    }
  }
  return meter.measure(scheme);
}
