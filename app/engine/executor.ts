/**
 * Runs a {@link Graph} on tfjs-core ops (no tfjs-layers), for inference and training. Weights come
 * from a {@link ParamStore} (tf.Variables, so `tf.variableGrads` sees them) or, without one, from
 * constants made from the IR's arrays for the duration of the call. In training mode batch norm
 * normalises with batch statistics and, when a store is given, folds them into its moving
 * averages the way PyTorch does.
 */
import { type Graph, type Node, outputNames, seNodes } from '../model/ir.js';
import { ModelError, UserError } from '../model/errors.js';
import { tf } from './tf.js';
import { type ParamStore, weightShape } from './params.js';
import {
  activation,
  batchNormInfer,
  batchNormTrain,
  channelShuffle,
  conv2d,
  dense,
  flatten,
  pool,
  squeezeExcite,
} from './ops.js';

export interface ForwardOptions {
  training?: boolean;
  /** tensor names to return besides outputs; `gate:<seName>` returns that SE block's gate values [N, C] */
  capture?: string[];
}

export interface ForwardResult {
  outputs: tf.Tensor[];
  captured: Map<string, tf.Tensor>;
}

const GATE_PREFIX = 'gate:';

type WeightFn = (node: Node, key: string) => tf.Tensor | undefined;

function weightSource(params: ParamStore | undefined): WeightFn {
  return (node, key) => {
    if (!('weights' in node)) return undefined;
    const arr = (node.weights as Record<string, Float32Array | undefined>)[key];
    if (!arr) return undefined;
    if (params) {
      const v = params.get(node.name, key);
      if (!v) throw new Error(`executor: the parameter store has no ${node.name}/${key}; it was made for another graph`);
      return v;
    }
    return tf.tensor(arr, weightShape(node, key, arr.length));
  };
}

function need(w: WeightFn, node: Node, key: string): tf.Tensor {
  const t = w(node, key);
  if (!t) throw new ModelError(`Node "${node.name}" is missing its ${key} weights.`);
  return t;
}

interface NodeContext {
  training: boolean;
  params?: ParamStore;
  w: WeightFn;
  /** SE names whose gate values are wanted, and where they go. */
  gates: Map<string, tf.Tensor>;
  gateWanted: Set<string>;
  /** Training: batch-norm nodes that apply the ReLU of the one node reading them, and those ReLU nodes (which then pass their input on). */
  bnRelu: Set<string>;
  reluDone: Set<string>;
}

function runNode(node: Node, ins: tf.Tensor[], ctx: NodeContext): tf.Tensor[] {
  const x = ins[0];
  const { w } = ctx;
  switch (node.kind) {
    case 'conv2d':
      return [conv2d(x as tf.Tensor4D, need(w, node, 'kernel') as tf.Tensor4D, node.attrs, w(node, 'bias'))];
    case 'batchnorm': {
      const gamma = need(w, node, 'gamma');
      const beta = need(w, node, 'beta');
      if (!ctx.training) {
        return [batchNormInfer(x, { gamma, beta, mean: need(w, node, 'mean'), variance: need(w, node, 'variance') }, node.attrs.epsilon)];
      }
      const r = batchNormTrain(x, gamma, beta, node.attrs.epsilon, ctx.bnRelu.has(node.name));
      if (ctx.params) {
        const m = node.attrs.momentum;
        const runMean = ctx.params.get(node.name, 'mean');
        const runVar = ctx.params.get(node.name, 'variance');
        if (!runMean || !runVar) throw new Error(`executor: the parameter store has no moving statistics for ${node.name}`);
        runMean.assign(tf.add(tf.mul(runMean, 1 - m), tf.mul(r.mean, m)));
        runVar.assign(tf.add(tf.mul(runVar, 1 - m), tf.mul(r.unbiasedVar, m)));
      }
      return [r.y];
    }
    case 'activation':
      if (ctx.reluDone.has(node.name)) return [x];
      return [activation(x, node.attrs.fn, node.attrs.alpha, node.attrs.beta)];
    case 'se': {
      const r = squeezeExcite(
        x as tf.Tensor4D,
        {
          fc1: need(w, node, 'fc1') as tf.Tensor2D,
          fc1Bias: w(node, 'fc1Bias'),
          fc2: need(w, node, 'fc2') as tf.Tensor2D,
          fc2Bias: w(node, 'fc2Bias'),
        },
        node.attrs,
      );
      if (ctx.gateWanted.has(node.name)) ctx.gates.set(node.name, r.gate);
      return [r.y];
    }
    case 'add':
      if (ins.length === 1) return [tf.clone(x)];
      return [ins.length === 2 ? tf.add(ins[0], ins[1]) : tf.addN(ins)];
    case 'concat':
      return [ins.length === 1 ? tf.clone(x) : tf.concat(ins, x.rank - 1)];
    case 'split':
      return tf.split(x, node.attrs.sizes, x.rank - 1);
    case 'channel-shuffle':
      return [channelShuffle(x as tf.Tensor4D, node.attrs.groups)];
    case 'pool':
      return [pool(x as tf.Tensor4D, node.attrs)];
    case 'dense': {
      const flat = x.rank === 2 ? (x as tf.Tensor2D) : flatten(x);
      return [dense(flat, need(w, node, 'kernel') as tf.Tensor2D, w(node, 'bias'))];
    }
    case 'flatten':
      return [flatten(x)];
  }
}

function checkInput(g: Graph, x: tf.Tensor): void {
  if (g.inputs.length !== 1) {
    throw new ModelError(`Model "${g.name}" has ${g.inputs.length} inputs; only single-input models can run.`);
  }
  const want = g.inputs[0].shape;
  const got = x.shape.slice(1);
  if (x.rank !== 4 || got.join(',') !== want.join(',')) {
    throw new UserError(`Model "${g.name}" expects ${want.join('×')} inputs (H×W×C), got ${got.join('×')}.`);
  }
}

function checkCapture(g: Graph, capture: string[]): void {
  const names = new Set<string>(g.inputs.map((i) => i.name));
  for (const n of g.nodes) for (const o of outputNames(n)) names.add(o);
  const ses = new Set(seNodes(g).map((n) => n.name));
  for (const c of capture) {
    if (c.startsWith(GATE_PREFIX)) {
      if (!ses.has(c.slice(GATE_PREFIX.length))) throw new UserError(`Model "${g.name}" has no SE block "${c.slice(GATE_PREFIX.length)}".`);
    } else if (!names.has(c)) {
      throw new UserError(`Model "${g.name}" has no tensor "${c}".`);
    }
  }
}

/**
 * Training: a batch norm whose output only a ReLU reads (and nobody captures) applies that ReLU
 * itself, so the fused cpu kernel (kernels/batchnorm.ts) saves the ReLU's output and gradient.
 */
function fuseBnRelu(g: Graph, readers: Map<string, number>, keep: Set<string>, ctx: NodeContext): void {
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of outputNames(n)) producer.set(o, n);
  for (const n of g.nodes) {
    if (n.kind !== 'activation' || n.attrs.fn !== 'relu' || n.inputs.length !== 1) continue;
    const input = n.inputs[0];
    const bn = producer.get(input);
    if (bn?.kind !== 'batchnorm' || readers.get(input) !== 1 || keep.has(input)) continue;
    ctx.bnRelu.add(bn.name);
    ctx.reluDone.add(n.name);
  }
}

/** Forward pass; weights come from `params` (tf.Variables, see params.ts) when given, else constants made from the IR. In training mode, BN uses batch stats and updates the moving averages held in `params`. */
export function forward(g: Graph, x: tf.Tensor4D, opts: ForwardOptions = {}, params?: ParamStore): ForwardResult {
  checkInput(g, x);
  const capture = opts.capture ?? [];
  checkCapture(g, capture);
  const training = opts.training ?? false;
  const gateWanted = new Set(capture.filter((c) => c.startsWith(GATE_PREFIX)).map((c) => c.slice(GATE_PREFIX.length)));

  const flat = tf.tidy(() => {
    const ctx: NodeContext = { training, params, w: weightSource(params), gates: new Map(), gateWanted, bnRelu: new Set(), reluDone: new Set() };
    const env = new Map<string, tf.Tensor>([[g.inputs[0].name, x]]);
    // Inference frees each intermediate after its last reader (training leaves that to tidy).
    const keep = new Set<string>([g.inputs[0].name, ...g.outputs, ...capture]);
    const readers = new Map<string, number>();
    for (const n of g.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
    if (training) fuseBnRelu(g, readers, keep, ctx);

    for (const node of g.nodes) {
      const ins = node.inputs.map((i) => {
        const t = env.get(i);
        if (!t) throw new ModelError(`Node "${node.name}" reads "${i}", which no earlier node produces.`);
        return t;
      });
      const outs = runNode(node, ins, ctx);
      outputNames(node).forEach((o, k) => env.set(o, outs[k]));
      if (!training) {
        for (const i of node.inputs) {
          const left = (readers.get(i) ?? 1) - 1;
          readers.set(i, left);
          if (left === 0 && !keep.has(i)) {
            env.get(i)?.dispose();
            env.delete(i);
          }
        }
      }
    }
    const pick = (name: string): tf.Tensor => {
      const t = name.startsWith(GATE_PREFIX) ? ctx.gates.get(name.slice(GATE_PREFIX.length)) : env.get(name);
      if (!t) throw new ModelError(`Model "${g.name}" never produces "${name}".`);
      // The graph input belongs to the caller; hand back a handle the caller may dispose.
      return t === x ? tf.clone(t) : t;
    };
    return [...g.outputs.map(pick), ...capture.map(pick)];
  });

  const outputs = flat.slice(0, g.outputs.length);
  const captured = new Map<string, tf.Tensor>();
  capture.forEach((c, i) => captured.set(c, flat[g.outputs.length + i]));
  return { outputs, captured };
}

/** Convenience for tests and inference: input NHWC Float32Array of n samples → one Float32Array per graph output (plus captured tensors). Disposes everything it makes. */
export async function runGraph(
  g: Graph,
  input: Float32Array,
  n: number,
  capture?: string[],
): Promise<{ outputs: Float32Array[]; captured: Map<string, Float32Array> }> {
  if (g.inputs.length !== 1) {
    throw new ModelError(`Model "${g.name}" has ${g.inputs.length} inputs; only single-input models can run.`);
  }
  const [h, w, c] = g.inputs[0].shape;
  if (!Number.isInteger(n) || n < 1 || input.length !== n * h * w * c) {
    throw new UserError(`Model "${g.name}" needs ${n}×${h}×${w}×${c} = ${n * h * w * c} input values, got ${input.length}.`);
  }
  const x = tf.tensor4d(input, [n, h, w, c]);
  let res: ForwardResult;
  try {
    res = forward(g, x, { capture });
  } finally {
    x.dispose();
  }
  const all = [...res.outputs, ...res.captured.values()];
  try {
    const outputs = await Promise.all(res.outputs.map(async (t) => Float32Array.from(await t.data())));
    const captured = new Map<string, Float32Array>();
    for (const [k, t] of res.captured) captured.set(k, Float32Array.from(await t.data()));
    return { outputs, captured };
  } finally {
    for (const t of all) t.dispose();
  }
}
