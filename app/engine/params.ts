/**
 * The trainable state of a graph as tfjs tensors: a `tf.Variable` for every trainable weight
 * (conv/dense kernel and bias, BN γ/β, SE fc1/fc2 and their biases) keyed `${node}/${weight}`,
 * and non-trainable variables for BN moving mean/variance, which the executor updates in
 * training mode. {@link writeBack} copies the current values into a fresh copy of the graph.
 */
import { type Graph, type Node, cloneGraph, nodeWeights } from '../model/ir.js';
import { tf } from './tf.js';

/** BN weights the optimiser must not touch; the executor updates them from batch statistics. */
const MOVING_STATS = new Set(['mean', 'variance']);

/** The tensor shape of one IR weight array (see the layouts in ir.ts). */
export function weightShape(node: Node, key: string, length: number): number[] {
  switch (node.kind) {
    case 'conv2d':
      if (key === 'kernel') {
        const [kh, kw] = node.attrs.kernel;
        const outC = node.attrs.filters;
        return [kh, kw, length / (kh * kw * outC), outC];
      }
      return [length];
    case 'dense':
      if (key === 'kernel') return [length / node.attrs.units, node.attrs.units];
      return [length];
    case 'se':
      if (key === 'fc1') return [node.attrs.channels, node.attrs.hidden];
      if (key === 'fc2') return [node.attrs.hidden, node.attrs.channels];
      return [length];
    default:
      return [length];
  }
}

let nextStoreId = 0;

export class ParamStore {
  /** Trainable variables keyed `${node}/${weight}`. */
  readonly trainable = new Map<string, tf.Variable>();
  /** BN moving statistics keyed `${node}/mean` and `${node}/variance` (not trainable). */
  readonly stats = new Map<string, tf.Variable>();
  private readonly keys = new Map<string, string>();
  private disposed = false;
  readonly id = nextStoreId++;

  /** Registers one weight; used by {@link createParams}. */
  add(node: Node, key: string, values: Float32Array): void {
    const trainable = !(node.kind === 'batchnorm' && MOVING_STATS.has(key));
    const k = `${node.name}/${key}`;
    // Variable names are global in tfjs, so they carry the store id to stay unique.
    const init = tf.tensor(values, weightShape(node, key, values.length));
    const v = tf.variable(init, trainable, `p${this.id}:${k}`);
    init.dispose();
    (trainable ? this.trainable : this.stats).set(k, v);
    this.keys.set(v.name, k);
  }

  /** The variable for `${node}/${weight}`, trainable or a moving statistic. */
  get(node: string, weight: string): tf.Variable | undefined {
    const k = `${node}/${weight}`;
    return this.trainable.get(k) ?? this.stats.get(k);
  }

  /** Trainable variables in graph order (the varList for an optimiser). */
  variables(): tf.Variable[] {
    return [...this.trainable.values()];
  }

  /** `${node}/${weight}` of a variable given its tfjs name (the keys of `tf.variableGrads().grads`). */
  keyOf(variableName: string): string | undefined {
    return this.keys.get(variableName);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Reads every variable back to the CPU, so writeBack's synchronous reads then work on a GPU
   * backend (tfjs-backend-webgpu in Node cannot read synchronously: its readSync needs
   * OffscreenCanvas). Nothing to do on cpu.
   */
  async download(): Promise<void> {
    if (tf.getBackend() === 'cpu') return;
    await Promise.all([...this.trainable.values(), ...this.stats.values()].map((v) => v.data()));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.trainable.values()) v.dispose();
    for (const v of this.stats.values()) v.dispose();
    this.trainable.clear();
    this.stats.clear();
    this.keys.clear();
  }
}

/** Variables initialised from the IR's weights. The caller disposes the store. */
export function createParams(g: Graph): ParamStore {
  const store = new ParamStore();
  try {
    for (const node of g.nodes) for (const [k, v] of nodeWeights(node)) store.add(node, k, v);
  } catch (e) {
    store.dispose();
    throw e;
  }
  return store;
}

/**
 * A copy of `g` holding the store's current values; `g` itself is left untouched. On a GPU
 * backend await `params.download()` first.
 */
export function writeBack(g: Graph, params: ParamStore): Graph {
  const out = cloneGraph(g);
  for (const node of out.nodes) {
    if (!('weights' in node)) continue;
    const w = node.weights as Record<string, Float32Array | undefined>;
    for (const [k, arr] of nodeWeights(node)) {
      const v = params.get(node.name, k);
      if (!v) continue;
      const data = v.dataSync();
      if (data.length !== arr.length) {
        throw new Error(`writeBack: ${node.name}/${k} holds ${data.length} values, the graph ${arr.length}`);
      }
      w[k] = Float32Array.from(data);
    }
  }
  return out;
}
