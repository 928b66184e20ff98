/**
 * IR → float TFLite plan (batch 1, NHWC). Expects batch norms already folded into their convs
 * (export/fold-bn.ts); one left standing becomes a 1×1 DEPTHWISE_CONV_2D. Mapping:
 * conv2d → CONV_2D (filter OHWI) / DEPTHWISE_CONV_2D (filter [1, kh, kw, C·m]) / SPLIT + CONV_2D per
 * group + CONCATENATION; explicit pads → SAME when they equal TF's SAME, else PAD + VALID; relu and
 * relu6 after a conv, add or dense with no other reader → fused activation; sigmoid → LOGISTIC;
 * hard-swish → HARD_SWISH; swish → LOGISTIC + MUL; hard-sigmoid → MUL, ADD (fused RELU6), MUL;
 * se → MEAN → FULLY_CONNECTED (+act) → FULLY_CONNECTED → gate → RESHAPE [1,1,1,C] → MUL;
 * channel-shuffle → RESHAPE → TRANSPOSE → RESHAPE; split → SPLIT_V; concat → CONCATENATION;
 * pools → MAX_POOL_2D / AVERAGE_POOL_2D (max pads through PAD with zeros where the input is known
 * ≥ 0 — after relu / relu6 / sigmoid, which is every max pool in the zoo and in timm / torchvision
 * stems — else PADV2 with the lowest float, reported; average excluding pads through SAME or a
 * per-position correction MUL); global average → MEAN on axes [1, 2].
 * Grouped convs split first and pad each group (PAD → CONV_2D pairs, which runtimes fold).
 */
import { consumers, producers, outputNames, type ActivationFn, type Conv2dNode, type Graph, type Node, type PoolNode, type SeNode } from '../../app/model/ir.js';
import { inferShapes } from '../../app/model/shapes.js';
import { UserError } from '../../app/model/errors.js';
import { Act, Op, Padding, type ActValue, type PaddingValue } from './schema.js';
import { PlanBuilder, type Plan, type RangeSource } from './plan.js';
import { activate, seStages } from './se-math.js';
import type { HardSwishForm } from '../types.js';

const LOWEST = -3.4e38;

type Pads = [number, number, number, number];

/** TF's SAME padding (before, after) for one spatial axis. */
function samePad(size: number, k: number, s: number, d: number): [number, number] {
  const eff = (k - 1) * d + 1;
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + eff - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** The pads a window op really reads (trailing pad no window reaches is dropped). */
function usedPads(h: number, w: number, k: [number, number], s: [number, number], d: [number, number], p: Pads): Pads {
  const eh = (k[0] - 1) * d[0] + 1;
  const ew = (k[1] - 1) * d[1] + 1;
  const oh = Math.floor((h + p[0] + p[2] - eh) / s[0]) + 1;
  const ow = Math.floor((w + p[1] + p[3] - ew) / s[1]) + 1;
  return [p[0], p[1], Math.max(0, (oh - 1) * s[0] + eh - h - p[0]), Math.max(0, (ow - 1) * s[1] + ew - w - p[1])];
}

type PadPlan = { padding: PaddingValue; explicit?: Pads };

function padPlan(h: number, w: number, k: [number, number], s: [number, number], d: [number, number], pads: Pads): PadPlan {
  const p = usedPads(h, w, k, s, d, pads);
  if (p.every((v) => v === 0)) return { padding: Padding.VALID };
  const [sh0, sh1] = samePad(h, k[0], s[0], d[0]);
  const [sw0, sw1] = samePad(w, k[1], s[1], d[1]);
  if (p[0] === sh0 && p[2] === sh1 && p[1] === sw0 && p[3] === sw1) return { padding: Padding.SAME };
  return { padding: Padding.VALID, explicit: p };
}

const fusedCode = (fn: ActivationFn | undefined): ActValue => (fn === 'relu' ? Act.RELU : fn === 'relu6' ? Act.RELU6 : Act.NONE);

/** Transposes a row-major [a, b] matrix to [b, a]. */
function transpose2(m: Float32Array, a: number, b: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[j * a + i] = m[i * b + j];
  return out;
}

export function lowerGraph(g: Graph, opts: { hardSwish?: HardSwishForm } = {}): Plan {
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    throw new UserError(`TFLite export needs a model with one input and one output; "${g.name}" has ${g.inputs.length} and ${g.outputs.length}.`);
  }
  const shapes = inferShapes(g);
  const prod = producers(g);
  const cons = consumers(g);
  const b = new PlanBuilder();
  const tensorOf = new Map<string, number>();
  const full = (name: string): number[] => [1, ...shapes.get(name)!];
  const ir = (name: string): RangeSource => ({ kind: 'ir', name });

  // relu / relu6 read only by one activation after a conv, add or dense: fuse it into that op.
  const fusedInto = new Map<string, Node>();
  const fusedAway = new Set<string>();
  for (const n of g.nodes) {
    if (n.kind !== 'activation' || (n.attrs.fn !== 'relu' && n.attrs.fn !== 'relu6')) continue;
    const p = prod.get(n.inputs[0]);
    if (!p || !['conv2d', 'add', 'dense'].includes(p.kind)) continue;
    if ((cons.get(p.name) ?? []).length !== 1 || g.outputs.includes(p.name) || fusedInto.has(p.name)) continue;
    fusedInto.set(p.name, n);
    fusedAway.add(n.name);
  }
  /** The name whose value a node's (possibly fused) output tensor holds, and the fused activation. */
  const outName = (n: Node): { name: string; act: ActValue } => {
    const a = fusedInto.get(n.name);
    return a && a.kind === 'activation' ? { name: a.name, act: fusedCode(a.attrs.fn) } : { name: n.name, act: Act.NONE };
  };

  /** Whether IR tensor `name` is ≥ 0 for every input (after relu, relu6, sigmoid or hard-sigmoid, through ops that keep the sign). */
  const signMemo = new Map<string, boolean>();
  const nonNegative = (name: string): boolean => {
    const known = signMemo.get(name);
    if (known !== undefined) return known;
    signMemo.set(name, false); // cycles cannot occur in a DAG; this only guards the recursion
    const p = prod.get(name);
    let r = false;
    if (p?.kind === 'activation') r = ['relu', 'relu6', 'sigmoid', 'hard-sigmoid'].includes(p.attrs.fn) || (p.attrs.fn === 'linear' && nonNegative(p.inputs[0]));
    else if (p && (p.kind === 'pool' || p.kind === 'se' || p.kind === 'split' || p.kind === 'channel-shuffle' || p.kind === 'flatten')) r = nonNegative(p.inputs[0]);
    else if (p && (p.kind === 'concat' || p.kind === 'add')) r = p.inputs.every(nonNegative);
    signMemo.set(name, r);
    return r;
  };

  const inName = g.inputs[0].name;
  const input = b.act(inName, [1, ...g.inputs[0].shape], ir(inName));
  tensorOf.set(inName, input);
  const get = (name: string): number => {
    const t = tensorOf.get(name);
    if (t === undefined) throw new Error(`tflite lowering: no tensor for "${name}"`);
    return t;
  };

  /** PAD (zeros) or PADV2 (with `value`) when needed; returns the tensor the window op reads. */
  const padded = (x: number, pads: Pads | undefined, name: string, value?: number): number => {
    if (!pads) return x;
    const [, h, w, c] = b.shape(x);
    const [t, l, bo, r] = pads;
    const paddings = b.constI(`${name}/paddings`, [4, 2], [0, 0, t, bo, l, r, 0, 0]);
    const y = b.act(`${name}/pad`, [1, h + t + bo, w + l + r, c]);
    if (value === undefined) b.op(Op.PAD, [x, paddings], [y], { type: 'Empty', table: 'PadOptions' });
    else {
      const v = b.constF(`${name}/pad_value`, [], Float32Array.of(value), 'pad-value');
      b.op(Op.PADV2, [x, paddings, v], [y], { type: 'Empty', table: 'PadV2Options' });
    }
    return y;
  };

  const scalarMul = (x: number, k: number, name: string, range?: RangeSource, act: ActValue = Act.NONE): number => {
    const c = b.constF(`${name}/k`, [], Float32Array.of(k), 'operand');
    const y = b.act(name, b.shape(x), range);
    b.op(Op.MUL, [x, c], [y], { type: 'Mul', act });
    return y;
  };

  /** An elementwise activation (not fused) from tensor x; the result holds IR tensor `name` (or part of an SE block). */
  const activation = (x: number, fn: ActivationFn, name: string, range: RangeSource | undefined, from: string, pre: (v: Float32Array, n: number) => Float32Array, alpha?: number, beta?: number): number => {
    const shape = b.shape(x);
    const derived = (f: (v: Float32Array, n: number) => Float32Array): RangeSource => ({ kind: 'derived', from, f });
    switch (fn) {
      case 'linear':
        return x;
      case 'relu':
      case 'relu6': {
        const y = b.act(name, shape, range);
        b.op(fn === 'relu' ? Op.RELU : Op.RELU6, [x], [y]);
        return y;
      }
      case 'sigmoid': {
        const y = b.tensor({ name, shape, range: { kind: 'fixed', min: 0, max: 1 }, fixedQuant: { scale: 1 / 256, zeroPoint: -128 } });
        b.op(Op.LOGISTIC, [x], [y]);
        return y;
      }
      case 'hard-swish': {
        if (opts.hardSwish === 'decompose') {
          // x · relu6(x + 3) / 6, every op in XNNPACK's quantized list.
          const three = b.constF(`${name}/three`, [], Float32Array.of(3), 'operand');
          const r6 = b.act(`${name}/relu6`, shape, { kind: 'fixed', min: 0, max: 6 });
          b.op(Op.ADD, [x, three], [r6], { type: 'Add', act: Act.RELU6 });
          const p = b.act(`${name}/x_relu6`, shape, derived((v, n) => pre(v, n).map((z) => z * Math.min(6, Math.max(0, z + 3)))));
          b.op(Op.MUL, [x, r6], [p], { type: 'Mul', act: Act.NONE });
          return scalarMul(p, 1 / 6, name, range);
        }
        const y = b.act(name, shape, range);
        b.op(Op.HARD_SWISH, [x], [y], { type: 'Empty', table: 'HardSwishOptions' });
        return y;
      }
      case 'swish': {
        const s = b.tensor({ name: `${name}/sigmoid`, shape, range: { kind: 'fixed', min: 0, max: 1 }, fixedQuant: { scale: 1 / 256, zeroPoint: -128 } });
        b.op(Op.LOGISTIC, [x], [s]);
        const y = b.act(name, shape, range);
        b.op(Op.MUL, [x, s], [y], { type: 'Mul', act: Act.NONE });
        return y;
      }
      case 'hard-sigmoid': {
        // clip(αx + β, 0, 1) = relu6(6αx + 6β) / 6
        const a = alpha ?? 1 / 6;
        const c = beta ?? 0.5;
        const scaled = scalarMul(x, 6 * a, `${name}/scaled`, derived((v, n) => pre(v, n).map((z) => 6 * a * z)));
        const off = b.constF(`${name}/offset`, [], Float32Array.of(6 * c), 'operand');
        const r6 = b.act(`${name}/relu6`, shape, { kind: 'fixed', min: 0, max: 6 });
        b.op(Op.ADD, [scaled, off], [r6], { type: 'Add', act: Act.RELU6 });
        return scalarMul(r6, 1 / 6, name, range ?? { kind: 'fixed', min: 0, max: 1 });
      }
    }
  };

  const conv = (n: Conv2dNode): void => {
    const x = get(n.inputs[0]);
    const [, h, w, inC] = b.shape(x);
    const { filters: outC, kernel: k, strides: s, dilations: d, groups: G } = n.attrs;
    const { name, act } = outName(n);
    const outShape = full(n.name);
    const pp = padPlan(h, w, k, s, d, n.attrs.pads);
    const grouped = G > 1 && !(G === inC && inC / G === 1);
    // Grouped: SPLIT, then PAD each group (a PAD read by a CONV_2D, which Arm NN folds correctly).
    const xin = grouped ? x : padded(x, pp.explicit, n.name);
    const kin = inC / G;
    const kern = n.weights.kernel; // [kh, kw, kin, outC]
    const bias = n.weights.bias ?? new Float32Array(outC);
    const y = b.act(name, outShape, ir(name));
    if (G === inC && kin === 1) {
      const f = b.constF(`${n.name}/filter`, [1, k[0], k[1], outC], kern.slice(), 'dw-filter');
      const bi = b.constF(`${n.name}/bias`, [outC], bias.slice(), 'bias');
      b.op(Op.DEPTHWISE_CONV_2D, [xin, f, bi], [y], {
        type: 'DepthwiseConv2D', padding: pp.padding, strideW: s[1], strideH: s[0], depthMultiplier: outC / inC, act, dilationW: d[1], dilationH: d[0],
      });
    } else {
      // HWIO → OHWI, per group
      const og = outC / G;
      const filterOf = (gi: number): Float32Array => {
        const f = new Float32Array(og * k[0] * k[1] * kin);
        for (let o = 0; o < og; o++)
          for (let i = 0; i < k[0] * k[1]; i++)
            for (let c = 0; c < kin; c++) f[((o * k[0] * k[1]) + i) * kin + c] = kern[(i * kin + c) * outC + gi * og + o];
        return f;
      };
      const opts = { type: 'Conv2D' as const, padding: pp.padding, strideW: s[1], strideH: s[0], act, dilationW: d[1], dilationH: d[0] };
      if (G === 1) {
        const f = b.constF(`${n.name}/filter`, [outC, k[0], k[1], kin], filterOf(0), 'conv-filter');
        const bi = b.constF(`${n.name}/bias`, [outC], bias.slice(), 'bias');
        b.op(Op.CONV_2D, [xin, f, bi], [y], opts);
      } else {
        const axis = b.constI(`${n.name}/axis`, [], [3]);
        const parts = Array.from({ length: G }, (_, gi) => b.act(`${n.name}/in${gi}`, [1, h, w, kin]));
        b.op(Op.SPLIT, [axis, xin], parts, { type: 'Split', numSplits: G });
        const outs = parts.map((part, gi) => {
          const p = padded(part, pp.explicit, `${n.name}/g${gi}`);
          const f = b.constF(`${n.name}/filter${gi}`, [og, k[0], k[1], kin], filterOf(gi), 'conv-filter');
          const bi = b.constF(`${n.name}/bias${gi}`, [og], bias.slice(gi * og, (gi + 1) * og), 'bias');
          const yg = b.act(`${n.name}/out${gi}`, [1, outShape[1], outShape[2], og]);
          b.op(Op.CONV_2D, [p, f, bi], [yg], opts);
          return yg;
        });
        b.op(Op.CONCATENATION, outs, [y], { type: 'Concatenation', axis: 3, act: Act.NONE });
      }
    }
    tensorOf.set(n.name, y);
    if (name !== n.name) tensorOf.set(name, y);
  };

  const se = (n: SeNode): void => {
    const from = n.inputs[0];
    const x = get(from);
    const C = n.attrs.channels;
    const H = n.attrs.hidden;
    const st = seStages(n);
    const derived = (f: (v: Float32Array, k: number) => Float32Array): RangeSource => ({ kind: 'derived', from, f });
    const axes = b.constI(`${n.name}/axes`, [2], [1, 2]);
    const pooled = b.act(`${n.name}/squeeze`, [1, 1, 1, C], derived(st.pooled));
    b.op(Op.MEAN, [x, axes], [pooled], { type: 'Reducer', keepDims: true });
    b.se = n.name; // the gate path: FCs, activations, gate, reshape

    const inner = n.attrs.innerAct;
    const fusedInner = inner === 'relu' || inner === 'relu6' || inner === 'linear';
    const w1 = b.constF(`${n.name}/fc1`, [H, C], transpose2(n.weights.fc1, C, H), 'fc-weights');
    const b1 = b.constF(`${n.name}/fc1_bias`, [H], n.weights.fc1Bias?.slice() ?? new Float32Array(H), 'bias');
    const h0 = b.act(`${n.name}/fc1`, [1, H], derived(fusedInner ? st.hidden : st.hiddenPre));
    b.op(Op.FULLY_CONNECTED, [pooled, w1, b1], [h0], { type: 'FullyConnected', act: fusedCode(inner) });
    const h = fusedInner ? h0 : activation(h0, inner, `${n.name}/act`, derived(st.hidden), from, st.hiddenPre);
    let gate: number;
    if (n.attrs.gate === 'sigmoid') {
      const w2 = b.constF(`${n.name}/fc2`, [C, H], transpose2(n.weights.fc2, H, C), 'fc-weights');
      const b2 = b.constF(`${n.name}/fc2_bias`, [C], n.weights.fc2Bias?.slice() ?? new Float32Array(C), 'bias');
      const z = b.act(`${n.name}/fc2`, [1, C], derived(st.logits));
      b.op(Op.FULLY_CONNECTED, [h, w2, b2], [z], { type: 'FullyConnected', act: Act.NONE });
      gate = b.tensor({ name: `${n.name}/gate`, shape: [1, C], range: { kind: 'fixed', min: 0, max: 1 }, fixedQuant: { scale: 1 / 256, zeroPoint: -128 } });
      b.op(Op.LOGISTIC, [z], [gate]);
    } else {
      // clip(α z + β, 0, 1) = relu6(6α z + 6β) / 6 with 6α, 6β folded into fc2.
      const a = n.attrs.gateAlpha;
      const c = n.attrs.gateBeta;
      const wt = transpose2(n.weights.fc2, H, C).map((v) => 6 * a * v);
      const bt = (n.weights.fc2Bias?.slice() ?? new Float32Array(C)).map((v) => 6 * (a * v + c));
      const w2 = b.constF(`${n.name}/fc2`, [C, H], wt, 'fc-weights');
      const b2 = b.constF(`${n.name}/fc2_bias`, [C], bt, 'bias');
      const z = b.act(`${n.name}/fc2`, [1, C], derived((v, k) => activate(st.logits(v, k), 'hard-sigmoid', a, c).map((q) => 6 * q)));
      b.op(Op.FULLY_CONNECTED, [h, w2, b2], [z], { type: 'FullyConnected', act: Act.RELU6 });
      gate = scalarMul(z, 1 / 6, `${n.name}/gate`, { kind: 'fixed', min: 0, max: 1 });
    }
    const shape4 = b.constI(`${n.name}/gate_shape`, [4], [1, 1, 1, C]);
    const gate4 = b.act(`${n.name}/gate4`, [1, 1, 1, C], { kind: 'fixed', min: 0, max: 1 });
    b.op(Op.RESHAPE, [gate, shape4], [gate4], { type: 'Reshape', newShape: [1, 1, 1, C] });
    b.se = undefined;
    const y = b.act(n.name, full(n.name), ir(n.name));
    b.op(Op.MUL, [x, gate4], [y], { type: 'Mul', act: Act.NONE });
    tensorOf.set(n.name, y);
  };

  const pool = (n: PoolNode): void => {
    const x = get(n.inputs[0]);
    const [, h, w] = b.shape(x);
    const outShape = full(n.name);
    const { type, kernel: k, strides: s, pads } = n.attrs;
    if (n.attrs.global && type === 'avg') {
      const axes = b.constI(`${n.name}/axes`, [2], [1, 2]);
      const y = b.act(n.name, outShape, ir(n.name));
      b.op(Op.MEAN, [x, axes], [y], { type: 'Reducer', keepDims: true });
      tensorOf.set(n.name, y);
      return;
    }
    const kk: [number, number] = n.attrs.global ? [h, w] : k;
    const ss: [number, number] = n.attrs.global ? [1, 1] : s;
    const pp = n.attrs.global ? { padding: Padding.VALID } : padPlan(h, w, kk, ss, [1, 1], pads);
    const y = b.act(n.name, outShape, ir(n.name));
    const opts = (padding: PaddingValue) => ({ type: 'Pool2D' as const, padding, strideW: ss[1], strideH: ss[0], filterW: kk[1], filterH: kk[0], act: Act.NONE });
    if (type === 'max') {
      // Zeros are exact pads where the input is known ≥ 0 (every window holds a real pixel, whose
      // max is ≥ 0); elsewhere PADV2 with the lowest float, reported.
      const nonNeg = nonNegative(n.inputs[0]);
      if (pp.explicit && !nonNeg) b.padV2.push(n.name);
      b.op(Op.MAX_POOL_2D, [padded(x, pp.explicit, n.name, nonNeg ? undefined : LOWEST)], [y], opts(pp.padding));
    } else if (n.attrs.countIncludePad || !pp.explicit) {
      // SAME excludes pads from the count (what countIncludePad = false asks); explicit zero pads include them.
      if (pp.padding === Padding.SAME && n.attrs.countIncludePad) {
        const exp = usedPads(h, w, kk, ss, [1, 1], pads);
        b.op(Op.AVERAGE_POOL_2D, [padded(x, exp, n.name)], [y], opts(Padding.VALID));
      } else b.op(Op.AVERAGE_POOL_2D, [padded(x, pp.explicit, n.name)], [y], opts(pp.padding));
    } else {
      // Mean over real pixels only: average with zero pads, then rescale each position by window / real count.
      const e = pp.explicit;
      const [, oh, ow] = outShape;
      const corr = new Float32Array(oh * ow);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const r0 = i * ss[0] - e[0];
          const c0 = j * ss[1] - e[1];
          const rows = Math.min(h, r0 + kk[0]) - Math.max(0, r0);
          const cols = Math.min(w, c0 + kk[1]) - Math.max(0, c0);
          corr[i * ow + j] = (kk[0] * kk[1]) / (rows * cols);
        }
      const avg = b.act(`${n.name}/avg`, outShape, { kind: 'derived', from: n.name, f: (v) => v });
      b.op(Op.AVERAGE_POOL_2D, [padded(x, e, n.name)], [avg], opts(Padding.VALID));
      const ct = b.constF(`${n.name}/count_correction`, [1, oh, ow, 1], corr, 'operand');
      b.op(Op.MUL, [avg, ct], [y], { type: 'Mul', act: Act.NONE });
    }
    tensorOf.set(n.name, y);
  };

  const reshape = (x: number, shape: number[], name: string, range?: RangeSource): number => {
    const st = b.constI(`${name}/shape`, [shape.length], shape);
    const y = b.act(name, shape, range);
    b.op(Op.RESHAPE, [x, st], [y], { type: 'Reshape', newShape: shape });
    return y;
  };

  for (const n of g.nodes) {
    switch (n.kind) {
      case 'conv2d':
        conv(n);
        break;
      case 'batchnorm': {
        const x = get(n.inputs[0]);
        const xs = b.shape(x);
        if (xs.length !== 4) throw new UserError(`TFLite export: batch norm "${n.name}" reads a ${xs.length}-D tensor; only feature maps are supported.`);
        const C = xs[3];
        const { gamma, beta, mean, variance } = n.weights;
        const sc = new Float32Array(C);
        const sh = new Float32Array(C);
        for (let c = 0; c < C; c++) {
          sc[c] = gamma[c] / Math.sqrt(variance[c] + n.attrs.epsilon);
          sh[c] = beta[c] - mean[c] * sc[c];
        }
        const f = b.constF(`${n.name}/scale`, [1, 1, 1, C], sc, 'dw-filter');
        const bi = b.constF(`${n.name}/shift`, [C], sh, 'bias');
        const y = b.act(n.name, full(n.name), ir(n.name));
        b.op(Op.DEPTHWISE_CONV_2D, [x, f, bi], [y], {
          type: 'DepthwiseConv2D', padding: Padding.VALID, strideW: 1, strideH: 1, depthMultiplier: 1, act: Act.NONE, dilationW: 1, dilationH: 1,
        });
        tensorOf.set(n.name, y);
        break;
      }
      case 'activation': {
        if (fusedAway.has(n.name)) break; // its producer's tensor already holds it
        const from = n.inputs[0];
        const y = activation(get(from), n.attrs.fn, n.name, ir(n.name), from, (v) => v, n.attrs.alpha, n.attrs.beta);
        tensorOf.set(n.name, y);
        break;
      }
      case 'se':
        se(n);
        break;
      case 'add': {
        const ins = n.inputs.map(get);
        const { name, act } = outName(n);
        if (ins.length === 1) {
          tensorOf.set(n.name, ins[0]);
          break;
        }
        if (ins.length > 2) throw new UserError(`TFLite export: add "${n.name}" has ${ins.length} inputs; only two are supported.`);
        const y = b.act(name, full(n.name), ir(name));
        b.op(Op.ADD, ins, [y], { type: 'Add', act });
        tensorOf.set(n.name, y);
        if (name !== n.name) tensorOf.set(name, y);
        break;
      }
      case 'concat': {
        const ins = n.inputs.map(get);
        if (ins.length === 1) {
          tensorOf.set(n.name, ins[0]);
          break;
        }
        const y = b.act(n.name, full(n.name), ir(n.name));
        b.op(Op.CONCATENATION, ins, [y], { type: 'Concatenation', axis: 3, act: Act.NONE });
        tensorOf.set(n.name, y);
        break;
      }
      case 'split': {
        const x = get(n.inputs[0]);
        const sizes = b.constI(`${n.name}/sizes`, [n.attrs.sizes.length], n.attrs.sizes);
        const axis = b.constI(`${n.name}/axis`, [], [3]);
        const outs = outputNames(n).map((o) => b.act(o, full(o), ir(o)));
        b.op(Op.SPLIT_V, [x, sizes, axis], outs, { type: 'SplitV', numSplits: outs.length });
        outputNames(n).forEach((o, i) => tensorOf.set(o, outs[i]));
        break;
      }
      case 'channel-shuffle': {
        const x = get(n.inputs[0]);
        const [, h, w, c] = b.shape(x);
        const G = n.attrs.groups;
        const r1 = reshape(x, [1, h, w, G, c / G], `${n.name}/grouped`);
        const perm = b.constI(`${n.name}/perm`, [5], [0, 1, 2, 4, 3]);
        const t = b.act(`${n.name}/transposed`, [1, h, w, c / G, G]);
        b.op(Op.TRANSPOSE, [r1, perm], [t], { type: 'Empty', table: 'TransposeOptions' });
        tensorOf.set(n.name, reshape(t, [1, h, w, c], n.name, ir(n.name)));
        break;
      }
      case 'pool':
        pool(n);
        break;
      case 'dense': {
        const x = get(n.inputs[0]);
        const inF = b.shape(x).slice(1).reduce((a, v) => a * v, 1);
        const units = n.attrs.units;
        const { name, act } = outName(n);
        const wt = b.constF(`${n.name}/weights`, [units, inF], transpose2(n.weights.kernel, inF, units), 'fc-weights');
        const bi = b.constF(`${n.name}/bias`, [units], n.weights.bias?.slice() ?? new Float32Array(units), 'bias');
        const y = b.act(name, [1, units], ir(name));
        b.op(Op.FULLY_CONNECTED, [x, wt, bi], [y], { type: 'FullyConnected', act });
        if (g.outputs.includes(name)) b.ops[b.ops.length - 1].classifier = true;
        tensorOf.set(n.name, y);
        if (name !== n.name) tensorOf.set(name, y);
        break;
      }
      case 'flatten': {
        const x = get(n.inputs[0]);
        const size = b.shape(x).slice(1).reduce((a, v) => a * v, 1);
        tensorOf.set(n.name, reshape(x, [1, size], n.name, ir(n.name)));
        break;
      }
    }
  }
  let output = get(g.outputs[0]);
  if (output === input) output = reshape(input, b.shape(input), `${g.outputs[0]}/identity`, ir(inName));
  return { tensors: b.tensors, ops: b.ops, input, output, ...(b.padV2.length ? { padV2: b.padV2 } : {}) };
}
