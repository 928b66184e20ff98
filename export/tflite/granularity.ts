/**
 * Per-layer choice between per-channel and per-tensor int8 filters for TFLite. Per-channel costs
 * every output channel a float32 filter scale and a float32 bias scale (plus the int64 zero-point
 * vectors), ≈ 8–16 B per channel next to 9 int8 weights of a 3×3 depthwise channel; per-tensor
 * costs one of each per layer but rounds small-range channels more coarsely.
 *
 * The measurement: for each output channel o, the variance that weight rounding adds to the
 * layer's output on the calibration images, σ²[o] = Σ_taps (w_q − w)² · Var[x_c(tap)] (input
 * channels' variances from calibration, treated as independent; the mean part is what bias
 * correction removes), next to the rounding noise the output's own int8 step s already carries
 * (s² / 12 per channel: one step for the whole tensor, so channels compare in absolute terms).
 * Per-tensor is chosen when the layer's output noise std grows by at most
 * {@link PER_TENSOR_TOLERANCE} over per-channel's:
 *   √(Σ_o (s²/12 + σ²_tensor[o]) / Σ_o (s²/12 + σ²_channel[o])) ≤ 1.15.
 * Measured on the trained demo models (500 calibration images, 2,000 test images, TFLite
 * interpreter): 1.15 keeps argmax agreement with float within 0.45 point of all per-channel
 * (all per-tensor: up to 0.9 point lower); a max over channels instead of the sum would keep every
 * layer of these models per-channel (each has a few narrow channels), for no measurable gain.
 * Layers whose input statistics are unknown stay per-channel.
 */
import { quantizePerChannel } from '../quantize/int8.js';
import { Op } from './schema.js';
import { quantizePerTensor, type Affine } from './int8.js';
import type { Plan } from './plan.js';
import type { WeightChoice } from '../types.js';

export type { WeightChoice };

/** Largest growth of the layer's output noise std that per-tensor may cause (1.15: 15 %). */
export const PER_TENSOR_TOLERANCE = 1.15;

export type Granularity = 'measured' | 'per-channel' | 'per-tensor';


/** Output-noise variance per output channel from rounding `w` to `q · scale`. */
function roundingNoise(role: 'conv-filter' | 'dw-filter', shape: number[], w: Float32Array, q: Int8Array, scales: Float32Array, vars: ArrayLike<number>): Float64Array {
  const sc = (o: number): number => scales[scales.length > 1 ? o : 0];
  if (role === 'dw-filter') {
    const C = shape[3];
    const m = C / vars.length;
    const out = new Float64Array(C);
    for (let i = 0; i < w.length; i++) {
      const o = i % C;
      const d = q[i] * sc(o) - w[i];
      out[o] += d * d * vars[Math.floor(o / m)];
    }
    return out;
  }
  const O = shape[0];
  const I = shape[3];
  const per = w.length / O;
  const out = new Float64Array(O);
  for (let i = 0; i < w.length; i++) {
    const o = Math.floor(i / per);
    const d = q[i] * sc(o) - w[i];
    out[o] += d * d * vars[i % I];
  }
  return out;
}

/**
 * The filters (plan tensor indices) to store per-tensor, and the choice made for every int8 conv
 * and depthwise filter. `names`: the plan tensors' names before compaction; `act`: the int8
 * parameters of each activation tensor; `inputVars`: by op index, the variance of each input channel.
 */
export function chooseGranularity(
  plan: Plan,
  names: string[],
  act: (i: number) => Affine,
  floatOps: ReadonlySet<number>,
  inputVars: ReadonlyMap<number, Float64Array>,
  mode: Granularity = 'measured',
): { perTensor: Set<number>; choices: WeightChoice[]; filterOf: Map<WeightChoice, number> } {
  const perTensor = new Set<number>();
  const choices: WeightChoice[] = [];
  const filterOf = new Map<WeightChoice, number>();
  plan.ops.forEach((o, k) => {
    if (floatOps.has(k) || (o.op !== Op.CONV_2D && o.op !== Op.DEPTHWISE_CONV_2D)) return;
    const wi = o.inputs[1];
    const t = plan.tensors[wi];
    if (!t.f32 || (t.role !== 'conv-filter' && t.role !== 'dw-filter')) return;
    const axis = t.role === 'conv-filter' ? 0 : 3;
    const channels = t.shape[axis];
    let ratio: number | null = null;
    const vars = inputVars.get(k);
    if (vars && (t.role === 'conv-filter' ? vars.length === t.shape[3] : t.shape[3] % vars.length === 0)) {
      const s = act(o.outputs[0]).scale;
      const base = (s * s) / 12;
      const pc = quantizePerChannel(t.f32, t.shape, axis);
      const pt = quantizePerTensor(t.f32);
      const nc = roundingNoise(t.role, t.shape, t.f32, pc.q, pc.scales.map((v) => Math.fround(v)), vars);
      const nt = roundingNoise(t.role, t.shape, t.f32, pt.q, pt.scale, vars);
      let sumT = 0;
      let sumC = 0;
      for (let c = 0; c < channels; c++) {
        sumT += base + nt[c];
        sumC += base + nc[c];
      }
      ratio = Math.sqrt(sumT / sumC);
    }
    const tensor = mode === 'per-tensor' || (mode === 'measured' && ratio !== null && ratio <= PER_TENSOR_TOLERANCE);
    if (tensor) perTensor.add(wi);
    const choice: WeightChoice = {
      layer: names[wi].replace(/\/filter(\d+)$/, ' group $1').replace(/\/(filter|scale)$/, ''),
      op: o.op === Op.CONV_2D ? 'CONV_2D' : 'DEPTHWISE_CONV_2D',
      channels,
      granularity: tensor ? 'per-tensor' : 'per-channel',
      noiseRatio: ratio === null ? null : Math.round(ratio * 1e4) / 1e4,
    };
    choices.push(choice);
    filterOf.set(choice, wi);
  });
  return { perTensor, choices, filterOf };
}

/**
 * The size rule for models of ≥ 100k parameters (export/size-rule.ts): while the int8 file is over
 * 30 % of the fp32 file, the per-channel layer whose per-tensor noise ratio was measured lowest
 * goes per-tensor (each switch marked `forSize` and re-encoded by `encode`). Returns the file.
 */
export function fitInt8Size(
  choices: WeightChoice[],
  filterOf: ReadonlyMap<WeightChoice, number>,
  perTensor: Set<number>,
  limitBytes: number,
  encode: () => Uint8Array,
): { bytes: Uint8Array; switched: WeightChoice[] } {
  let bytes = encode();
  const candidates = choices.filter((c) => c.granularity === 'per-channel' && c.noiseRatio !== null).sort((a, b) => a.noiseRatio! - b.noiseRatio!);
  const switched: WeightChoice[] = [];
  for (const c of candidates) {
    if (bytes.length <= limitBytes) break;
    perTensor.add(filterOf.get(c)!);
    c.granularity = 'per-tensor';
    c.forSize = true;
    switched.push(c);
    bytes = encode();
  }
  return { bytes, switched };
}
