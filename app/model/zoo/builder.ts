/**
 * A small imperative builder the zoo uses to write architectures as code: each call adds one IR
 * node with freshly initialised weights (PyTorch's defaults: Kaiming-normal convs, BN γ=1 β=0
 * μ=0 σ²=1, uniform ±1/√fan_in FCs) and returns the name of its output tensor.
 */
import type { ActivationFn, GateFn, Graph, Node } from '../ir.js';
import { outputNames } from '../ir.js';
import { nodeOutputShapes, type Shape } from '../shapes.js';
import { Rng } from '../random.js';

export interface ConvOpts {
  stride?: number;
  groups?: number;
  bias?: boolean;
  /** Symmetric padding; default (k - 1) / 2 ("same" for odd kernels at stride 1). */
  pad?: number;
  name?: string;
}

export interface SeOpts {
  gate?: GateFn;
  bias?: boolean;
  innerAct?: ActivationFn;
  name?: string;
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly rng: Rng;
  private readonly counters = new Map<string, number>();
  stage = 'stem';
  block = '';

  constructor(
    readonly name: string,
    readonly inputShape: Shape,
    seed: number,
    readonly inputName = 'input',
  ) {
    this.rng = new Rng(seed);
    this.shapes.set(inputName, inputShape);
  }

  get input(): string {
    return this.inputName;
  }

  shape(t: string): Shape {
    const s = this.shapes.get(t);
    if (!s) throw new Error(`builder: unknown tensor ${t}`);
    return s;
  }

  channels(t: string): number {
    const s = this.shape(t);
    return s[s.length - 1];
  }

  private autoName(kind: string, name?: string): string {
    const prefix = this.block || this.stage;
    if (name) return `${prefix}.${name}`;
    const n = this.counters.get(`${prefix}/${kind}`) ?? 0;
    this.counters.set(`${prefix}/${kind}`, n + 1);
    return `${prefix}.${kind}${n}`;
  }

  /** Appends a node, infers its output shapes, returns its output names. */
  add(node: Node): string[] {
    node.stage = this.stage;
    if (this.block) node.block = this.block;
    const outs = nodeOutputShapes(
      node,
      node.inputs.map((i) => this.shape(i)),
    );
    const names = outputNames(node);
    names.forEach((n, i) => this.shapes.set(n, outs[i]));
    this.nodes.push(node);
    return names;
  }

  conv(x: string, filters: number, k: number, o: ConvOpts = {}): string {
    const inC = this.channels(x);
    const groups = o.groups ?? 1;
    const pad = o.pad ?? Math.floor((k - 1) / 2);
    const s = o.stride ?? 1;
    const fanIn = k * k * (inC / groups);
    const kernel = this.rng.normalArray(k * k * (inC / groups) * filters, Math.sqrt(2 / fanIn));
    const weights: { kernel: Float32Array; bias?: Float32Array } = { kernel };
    if (o.bias) weights.bias = this.rng.uniformArray(filters, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
    return this.add({
      kind: 'conv2d',
      name: this.autoName(groups === inC && groups === filters && groups > 1 ? 'dwconv' : 'conv', o.name),
      inputs: [x],
      attrs: {
        filters,
        kernel: [k, k],
        strides: [s, s],
        pads: [pad, pad, pad, pad],
        dilations: [1, 1],
        groups,
      },
      weights,
    })[0];
  }

  bn(x: string, name?: string): string {
    const c = this.channels(x);
    return this.add({
      kind: 'batchnorm',
      name: this.autoName('bn', name),
      inputs: [x],
      attrs: { epsilon: 1e-5, momentum: 0.1 },
      weights: {
        gamma: new Float32Array(c).fill(1),
        beta: new Float32Array(c),
        mean: new Float32Array(c),
        variance: new Float32Array(c).fill(1),
      },
    })[0];
  }

  act(x: string, fn: ActivationFn, name?: string): string {
    if (fn === 'linear') return x;
    return this.add({ kind: 'activation', name: this.autoName(fn.replace('-', ''), name), inputs: [x], attrs: { fn } })[0];
  }

  /** conv → BN → activation, the unit every family is made of. */
  convBnAct(x: string, filters: number, k: number, act: ActivationFn, o: ConvOpts = {}): string {
    return this.act(this.bn(this.conv(x, filters, k, o)), act);
  }

  se(x: string, hidden: number, o: SeOpts = {}): string {
    const c = this.channels(x);
    const bias = o.bias ?? false;
    const b1 = 1 / Math.sqrt(c);
    const b2 = 1 / Math.sqrt(hidden);
    const weights: { fc1: Float32Array; fc2: Float32Array; fc1Bias?: Float32Array; fc2Bias?: Float32Array } = {
      fc1: this.rng.uniformArray(c * hidden, -b1, b1),
      fc2: this.rng.uniformArray(hidden * c, -b2, b2),
    };
    if (bias) {
      weights.fc1Bias = this.rng.uniformArray(hidden, -b1, b1);
      weights.fc2Bias = this.rng.uniformArray(c, -b2, b2);
    }
    return this.add({
      kind: 'se',
      name: this.autoName('se', o.name),
      inputs: [x],
      attrs: {
        channels: c,
        hidden,
        gate: o.gate ?? 'sigmoid',
        gateAlpha: 1 / 6,
        gateBeta: 0.5,
        innerAct: o.innerAct ?? 'relu',
      },
      weights,
    })[0];
  }

  sum(inputs: string[], name?: string): string {
    return this.add({ kind: 'add', name: this.autoName('add', name), inputs, attrs: {} })[0];
  }

  concat(inputs: string[], name?: string): string {
    return this.add({ kind: 'concat', name: this.autoName('concat', name), inputs, attrs: {} })[0];
  }

  split(x: string, sizes: number[], name?: string): string[] {
    return this.add({ kind: 'split', name: this.autoName('split', name), inputs: [x], attrs: { sizes } });
  }

  shuffle(x: string, groups: number, name?: string): string {
    return this.add({ kind: 'channel-shuffle', name: this.autoName('shuffle', name), inputs: [x], attrs: { groups } })[0];
  }

  pool(x: string, type: 'max' | 'avg', k: number, stride: number, pad: number, countIncludePad = false): string {
    return this.add({
      kind: 'pool',
      name: this.autoName(`${type}pool`),
      inputs: [x],
      attrs: { type, global: false, kernel: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], countIncludePad },
    })[0];
  }

  globalAvgPool(x: string): string {
    return this.add({
      kind: 'pool',
      name: this.autoName('gap'),
      inputs: [x],
      attrs: { type: 'avg', global: true, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false },
    })[0];
  }

  flatten(x: string): string {
    return this.add({ kind: 'flatten', name: this.autoName('flatten'), inputs: [x], attrs: {} })[0];
  }

  dense(x: string, units: number, name?: string): string {
    const inN = this.shape(x)[0];
    const b = 1 / Math.sqrt(inN);
    return this.add({
      kind: 'dense',
      name: this.autoName('fc', name),
      inputs: [x],
      attrs: { units },
      weights: { kernel: this.rng.uniformArray(inN * units, -b, b), bias: this.rng.uniformArray(units, -b, b) },
    })[0];
  }

  build(outputs: string[], meta: Record<string, unknown>): Graph {
    return {
      name: this.name,
      inputs: [{ name: this.inputName, shape: [...this.inputShape] }],
      outputs,
      nodes: this.nodes,
      meta,
    };
  }
}
