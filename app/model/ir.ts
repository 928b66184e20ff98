/**
 * The model IR: plain data, no engine. Everything downstream (executor, ONNX writer, pruning,
 * export) reads and writes this shape, so it stays small and fully documented here.
 *
 * Activations are NHWC. Shapes below are per sample (no batch axis): `[H, W, C]` for feature
 * maps, `[N]` for flat vectors.
 *
 * Every node produces one output tensor named after the node, except `split`, whose outputs are
 * `${name}:0`, `${name}:1`, ... (see {@link outputNames}). A node's `inputs` name graph inputs or
 * node outputs.
 *
 * Weight layouts (all Float32Array, row-major):
 * - conv2d   `kernel` [kh, kw, inC / groups, outC] (HWIO, as tfjs conv2d expects; a depthwise
 *            conv with groups == inC == outC therefore stores [kh, kw, 1, C]); `bias` [outC].
 *            Group g uses input channels [g*inC/G, (g+1)*inC/G) and output channels
 *            [g*outC/G, (g+1)*outC/G).
 * - batchnorm `gamma`, `beta`, `mean`, `variance`, each [C].
 * - dense    `kernel` [in, out]; `bias` [out].
 * - se       `fc1` [C, hidden], `fc1Bias` [hidden] (optional), `fc2` [hidden, C],
 *            `fc2Bias` [C] (optional). s = gate(fc2ᵀ · act(fc1ᵀ · GAP(x) + b1) + b2); y = s ⊙ x.
 */
import type { TransformStep } from './transform.js';

export type { TransformStep } from './transform.js';

export type ActivationFn =
  | 'relu'
  | 'relu6'
  | 'sigmoid'
  | 'hard-sigmoid'
  | 'swish'
  | 'hard-swish'
  | 'linear';

/** Gate of an SE block. hard-sigmoid(x) = clip(alpha·x + beta, 0, 1); PyTorch: alpha 1/6, beta 0.5. */
export type GateFn = 'sigmoid' | 'hard-sigmoid';

interface NodeBase {
  name: string;
  inputs: string[];
  /** Stage label for per-stage accounting and the UI ("stem", "stage1", ..., "head"). */
  stage?: string;
  /** Block label inside a stage ("stage2.block0"); the UI groups nodes by it. */
  block?: string;
}

export interface Conv2dNode extends NodeBase {
  kind: 'conv2d';
  attrs: {
    filters: number;
    kernel: [number, number];
    strides: [number, number];
    /** Explicit zero padding [top, left, bottom, right]. */
    pads: [number, number, number, number];
    dilations: [number, number];
    groups: number;
  };
  weights: { kernel: Float32Array; bias?: Float32Array };
}

export interface BatchNormNode extends NodeBase {
  kind: 'batchnorm';
  attrs: { epsilon: number; momentum: number };
  weights: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array };
}

export interface ActivationNode extends NodeBase {
  kind: 'activation';
  attrs: { fn: ActivationFn; alpha?: number; beta?: number };
}

export interface SeNode extends NodeBase {
  kind: 'se';
  attrs: {
    channels: number;
    hidden: number;
    gate: GateFn;
    /** hard-sigmoid slope and offset; ignored for sigmoid. */
    gateAlpha: number;
    gateBeta: number;
    /** Activation between the two FCs. */
    innerAct: ActivationFn;
  };
  weights: { fc1: Float32Array; fc1Bias?: Float32Array; fc2: Float32Array; fc2Bias?: Float32Array };
}

export interface AddNode extends NodeBase {
  kind: 'add';
  attrs: Record<string, never>;
}

export interface ConcatNode extends NodeBase {
  kind: 'concat';
  /** Always along channels. */
  attrs: Record<string, never>;
}

export interface SplitNode extends NodeBase {
  kind: 'split';
  /** Channel counts of the outputs, in order. */
  attrs: { sizes: number[] };
}

export interface ChannelShuffleNode extends NodeBase {
  kind: 'channel-shuffle';
  /** out[c' * G + g] = in[g * (C/G) + c'], i.e. reshape [G, C/G] → transpose → flatten. */
  attrs: { groups: number };
}

export interface PoolNode extends NodeBase {
  kind: 'pool';
  /**
   * `global: true` averages (or maxes) over H and W and yields [1, 1, C].
   * Otherwise a windowed pool with explicit pads [top, left, bottom, right] (max pools pad with
   * -inf, average pools with zeros).
   */
  attrs: {
    type: 'max' | 'avg';
    global: boolean;
    kernel: [number, number];
    strides: [number, number];
    pads: [number, number, number, number];
    /** Average pools only: divide by the full window (true, PyTorch's default) or by the non-pad count. */
    countIncludePad: boolean;
  };
}

export interface DenseNode extends NodeBase {
  kind: 'dense';
  attrs: { units: number };
  weights: { kernel: Float32Array; bias?: Float32Array };
}

export interface FlattenNode extends NodeBase {
  kind: 'flatten';
  attrs: Record<string, never>;
}

export type Node =
  | Conv2dNode
  | BatchNormNode
  | ActivationNode
  | SeNode
  | AddNode
  | ConcatNode
  | SplitNode
  | ChannelShuffleNode
  | PoolNode
  | DenseNode
  | FlattenNode;

export type NodeKind = Node['kind'];

export const NODE_KINDS: readonly NodeKind[] = [
  'conv2d',
  'batchnorm',
  'activation',
  'se',
  'add',
  'concat',
  'split',
  'channel-shuffle',
  'pool',
  'dense',
  'flatten',
];

export interface GraphInput {
  name: string;
  /** Per-sample NHWC shape [H, W, C]. */
  shape: number[];
}

/**
 * How raw images become the network's input (torchvision semantics); stored with the model.
 * `steps`, when present, is the pipeline in order and the only truth; `mean`/`std` then repeat its
 * Normalize for readers that only want those. Without `steps` (projects written before pipelines)
 * the fields imply Resize → CenterCrop → Pad → ToTensor → Normalize (app/data/transform.ts).
 * `channels` is what the model takes: images are converted to it (as PIL) at ToTensor.
 */
export interface Preprocessing {
  steps?: TransformStep[];
  resize?: number;
  centerCrop?: number;
  pad?: number;
  mean: number[];
  std: number[];
  channels: 1 | 3;
}

export interface Graph {
  name: string;
  inputs: GraphInput[];
  outputs: string[];
  nodes: Node[];
  /** Free-form facts about where the model came from (zoo config, source file, hash, labels). */
  meta: Record<string, unknown>;
}

/** The tensor names a node produces. */
export function outputNames(node: Node): string[] {
  if (node.kind === 'split') return node.attrs.sizes.map((_, i) => `${node.name}:${i}`);
  return [node.name];
}

/** Every weight array of a node with its key, in a stable order. */
export function nodeWeights(node: Node): [string, Float32Array][] {
  if (!('weights' in node)) return [];
  const out: [string, Float32Array][] = [];
  for (const [k, v] of Object.entries(node.weights)) {
    if (v instanceof Float32Array) out.push([k, v]);
  }
  return out;
}

/** A deep copy: new node objects and new weight arrays. */
export function cloneGraph(g: Graph): Graph {
  return {
    name: g.name,
    inputs: g.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })),
    outputs: [...g.outputs],
    meta: structuredClone(g.meta),
    nodes: g.nodes.map(cloneNode),
  };
}

export function cloneNode<T extends Node>(n: T): T {
  const copy = { ...n, inputs: [...n.inputs], attrs: structuredClone(n.attrs) } as T;
  if ('weights' in n) {
    const w: Record<string, Float32Array> = {};
    for (const [k, v] of nodeWeights(n)) w[k] = v.slice();
    (copy as { weights: unknown }).weights = w;
  }
  return copy;
}

/** Map from tensor name to the node producing it (graph inputs are absent). */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of outputNames(n)) m.set(o, n);
  return m;
}

/** Map from tensor name to the nodes that read it. */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

export function findNode(g: Graph, name: string): Node | undefined {
  return g.nodes.find((n) => n.name === name);
}

export function seNodes(g: Graph): SeNode[] {
  return g.nodes.filter((n): n is SeNode => n.kind === 'se');
}
