/**
 * Recognises squeeze-and-excitation and channel shuffle in a {@link LiveGraph} (after
 * {@link fuseActivations}) and replaces each by one pseudo-op:
 *
 * SE: Mul(x, gate) in either operand order, where gate =
 *   (Reshape|Unsqueeze|Identity)* ← Sigmoid|hard-sigmoid ← FC2 ← act? ← BatchNorm? ← FC1
 *   ← (Flatten|Reshape|Squeeze|Identity)* ← GlobalAveragePool(x) | ReduceMean(x, H and W)
 * and each FC is a 1×1 Conv, a Gemm, a MatMul or MatMul + Add. A batch norm between FC1 and the
 * activation (ShuffleNetV2+ style) is folded into FC1. Every intermediate must have x's SE as its
 * only reader.
 *
 * Channel shuffle: Reshape [N, G, C/G, H, W] → Transpose [0, 2, 1, 3, 4] → Reshape [N, C, H, W].
 */
import type { ActivationFn } from '../../model/ir.js';
import { type ConstTensor, type LiveGraph, type LiveNode, type SeParams, num, nums, producersOf, readers } from './live.js';

interface Fc {
  w: Float32Array; // [in, out]
  bias?: Float32Array;
  inN: number;
  outN: number;
  input: string;
  nodes: LiveNode[];
}

const INNER_ACTS = new Set<ActivationFn>(['relu', 'relu6', 'sigmoid', 'swish', 'hard-swish']);
const PASS_THROUGH = new Set(['Reshape', 'Unsqueeze', 'Identity', 'Dropout', 'Flatten', 'Squeeze', 'Cast']);

class Matcher {
  private readonly rd: Map<string, LiveNode[]>;
  private readonly prod: Map<string, LiveNode>;

  constructor(readonly g: LiveGraph) {
    this.rd = readers(g);
    this.prod = producersOf(g);
  }

  sole(v: string): boolean {
    return (this.rd.get(v)?.length ?? 0) === 1 && v !== this.g.output;
  }

  /** The single-use producer of v, if it is one of `ops`. */
  from(v: string, ops: string[]): LiveNode | undefined {
    if (!this.sole(v)) return undefined;
    const p = this.prod.get(v);
    return p && ops.includes(p.op) ? p : undefined;
  }

  shape(v: string): number[] {
    return this.g.shapes.get(v) ?? [];
  }

  c(v: string | undefined): ConstTensor | undefined {
    return v ? this.g.consts.get(v) : undefined;
  }

  /** Walks back through reshapes; returns the value they start from and the nodes passed. */
  strip(v: string, nodes: LiveNode[]): string {
    for (let p = this.from(v, [...PASS_THROUGH]); p; p = this.from(v, [...PASS_THROUGH])) {
      nodes.push(p);
      v = p.inputs[0];
    }
    return v;
  }

  fc(v: string): Fc | undefined {
    const p = this.from(v, ['Conv', 'Gemm', 'MatMul', 'Add']);
    if (!p) return undefined;
    if (p.op === 'Conv') {
      const w = this.c(p.inputs[1]);
      const pads = nums(p, 'pads');
      if (!w || num(p, 'group') !== 1 || w.dims[2] !== 1 || w.dims[3] !== 1 || pads.some((x) => x !== 0)) return undefined;
      const [outN, inN] = w.dims;
      const out = new Float32Array(inN * outN);
      for (let o = 0; o < outN; o++) for (let i = 0; i < inN; i++) out[i * outN + o] = w.data[o * inN + i];
      const b = this.c(p.inputs[2]);
      return { w: out, bias: b ? Float32Array.from(b.data) : undefined, inN, outN, input: p.inputs[0], nodes: [p] };
    }
    if (p.op === 'Gemm') {
      const b = this.c(p.inputs[1]);
      if (!b) return undefined;
      const alpha = num(p, 'alpha');
      const beta = num(p, 'beta');
      const t = num(p, 'transB') === 1;
      const [inN, outN] = t ? [b.dims[1], b.dims[0]] : b.dims;
      const out = new Float32Array(inN * outN);
      for (let i = 0; i < inN; i++) for (let o = 0; o < outN; o++) out[i * outN + o] = alpha * b.data[t ? o * inN + i : i * outN + o];
      const c = this.c(p.inputs[2]);
      const bias = c ? Float32Array.from({ length: outN }, (_, o) => beta * c.data[c.data.length === 1 ? 0 : o]) : undefined;
      return { w: out, bias, inN, outN, input: p.inputs[0], nodes: [p] };
    }
    if (p.op === 'MatMul') {
      const b = this.c(p.inputs[1]);
      if (!b) return undefined;
      return { w: Float32Array.from(b.data), inN: b.dims[0], outN: b.dims[1], input: p.inputs[0], nodes: [p] };
    }
    // Add(MatMul(x, W), b)
    const [a0, a1] = p.inputs;
    const [dv, cv] = this.c(a1) ? [a0, a1] : [a1, a0];
    const bias = this.c(cv);
    if (!bias) return undefined;
    const mm = this.from(dv, ['MatMul']);
    const inner = mm ? this.fc(dv) : undefined;
    if (!inner || inner.bias || (bias.data.length !== inner.outN && bias.data.length !== 1)) return undefined;
    inner.bias = Float32Array.from({ length: inner.outN }, (_, o) => bias.data[bias.data.length === 1 ? 0 : o]);
    inner.nodes.push(p);
    return inner;
  }

  se(mul: LiveNode, x: string, gateIn: string): { se: SeParams; nodes: LiveNode[] } | undefined {
    const xs = this.shape(x);
    const gs = this.shape(gateIn);
    if (xs.length !== 4 || gs.length !== 4 || gs[1] !== xs[1] || gs[2] !== 1 || gs[3] !== 1) return undefined;
    const C = xs[1];
    const nodes: LiveNode[] = [mul];
    const gv = this.strip(gateIn, nodes);
    const gate = this.from(gv, ['Act']);
    if (!gate || (gate.fn !== 'sigmoid' && gate.fn !== 'hard-sigmoid')) return undefined;
    nodes.push(gate);
    const fc2 = this.fc(gate.inputs[0]);
    if (!fc2) return undefined;
    nodes.push(...fc2.nodes);
    let h = fc2.input;
    let innerAct: ActivationFn = 'linear';
    const act = this.from(h, ['Act']);
    if (act) {
      if (!INNER_ACTS.has(act.fn as ActivationFn)) return undefined;
      innerAct = act.fn as ActivationFn;
      nodes.push(act);
      h = act.inputs[0];
    }
    const bn = this.from(h, ['BatchNormalization']);
    if (bn) {
      nodes.push(bn);
      h = bn.inputs[0];
    }
    const fc1 = this.fc(h);
    if (!fc1) return undefined;
    nodes.push(...fc1.nodes);
    const sv = this.strip(fc1.input, nodes);
    const pool = this.from(sv, ['GlobalAveragePool', 'ReduceMean']);
    if (!pool || pool.inputs[0] !== x) return undefined;
    if (pool.op === 'ReduceMean' && nums(pool, 'axes').join(',') !== '2,3') return undefined;
    nodes.push(pool);
    if (fc1.inN !== C || fc2.outN !== C || fc1.outN !== fc2.inN) return undefined;
    const hidden = fc1.outN;
    if (bn) {
      const [gm, bt, mean, v] = [1, 2, 3, 4].map((i) => this.c(bn.inputs[i]) as ConstTensor);
      const eps = num(bn, 'epsilon');
      const b = fc1.bias ?? new Float32Array(hidden);
      for (let o = 0; o < hidden; o++) {
        const k = gm.data[o] / Math.sqrt(v.data[o] + eps);
        for (let i = 0; i < C; i++) fc1.w[i * hidden + o] *= k;
        b[o] = (b[o] - mean.data[o]) * k + bt.data[o];
      }
      fc1.bias = b;
    }
    const hard = gate.fn === 'hard-sigmoid';
    return {
      nodes,
      se: {
        channels: C,
        hidden,
        fc1: fc1.w,
        fc1Bias: fc1.bias,
        fc2: fc2.w,
        fc2Bias: fc2.bias,
        gate: hard ? 'hard-sigmoid' : 'sigmoid',
        gateAlpha: hard ? num(gate, 'alpha') : 1 / 6,
        gateBeta: hard ? num(gate, 'beta') : 0.5,
        innerAct,
      },
    };
  }

  shuffle(r2: LiveNode): { groups: number; input: string; nodes: LiveNode[] } | undefined {
    const out = this.shape(r2.outputs[0]);
    const tr = this.from(r2.inputs[0], ['Transpose']);
    if (!tr || nums(tr, 'perm').join(',') !== '0,2,1,3,4') return undefined;
    const r1 = this.from(tr.inputs[0], ['Reshape']);
    if (!r1) return undefined;
    const src = this.shape(r1.inputs[0]);
    const mid = this.shape(r1.outputs[0]);
    if (src.length !== 4 || out.join(',') !== src.join(',') || mid.length !== 5) return undefined;
    if (mid[0] !== src[0] || mid[1] * mid[2] !== src[1] || mid[3] !== src[2] || mid[4] !== src[3]) return undefined;
    return { groups: mid[1], input: r1.inputs[0], nodes: [r1, tr] };
  }
}

/** The module path of an exporter node name: "/layer1/layer1.0/se/Mul" → "/layer1/layer1.0/se". */
function modulePath(name: string): string {
  const i = name.lastIndexOf('/');
  return i > 0 ? name.slice(0, i) : name;
}

export function matchPatterns(g: LiveGraph): { se: number; shuffle: number } {
  let se = 0;
  let shuffle = 0;
  const m = new Matcher(g);
  const dead = new Set<LiveNode>();
  for (const n of g.nodes) {
    if (n.op !== 'Mul' || dead.has(n)) continue;
    const [a, b] = n.inputs;
    if (!a || !b || g.consts.has(a) || g.consts.has(b)) continue;
    const r = m.se(n, a, b) ?? m.se(n, b, a);
    if (!r) continue;
    const x = r.nodes.find((k) => k.op === 'GlobalAveragePool' || k.op === 'ReduceMean')?.inputs[0] as string;
    for (const k of r.nodes) if (k !== n) dead.add(k);
    n.op = 'SE';
    n.inputs = [x];
    n.se = r.se;
    n.p = {};
    n.name = modulePath(n.name);
    se++;
  }
  for (const n of g.nodes) {
    if (n.op !== 'Reshape' || dead.has(n)) continue;
    const r = m.shuffle(n);
    if (!r) continue;
    r.nodes.forEach((k) => dead.add(k));
    n.op = 'ChannelShuffle';
    n.inputs = [r.input];
    n.p = { groups: r.groups };
    shuffle++;
  }
  g.nodes = g.nodes.filter((n) => !dead.has(n));
  return { se, shuffle };
}
