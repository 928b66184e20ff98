/**
 * Shape inference over the IR. Nodes must be in topological order (every input is a graph input
 * or an output of an earlier node); {@link inferShapes} checks that and every attribute/weight
 * size, and throws a {@link ModelError} naming the node when something does not fit.
 */
import { type Graph, type Node, outputNames } from './ir.js';
import { ModelError } from './errors.js';

export type Shape = number[];

function convOut(size: number, k: number, s: number, d: number, padA: number, padB: number): number {
  return Math.floor((size + padA + padB - d * (k - 1) - 1) / s) + 1;
}

function expectLen(node: Node, key: string, arr: Float32Array | undefined, len: number): void {
  if (!arr) throw new ModelError(`Node "${node.name}" is missing its ${key} weights.`);
  if (arr.length !== len) {
    throw new ModelError(
      `Node "${node.name}" has ${arr.length} ${key} values where its shape needs ${len}.`,
    );
  }
}

function channelsOf(node: Node, s: Shape): number {
  if (s.length !== 3) {
    throw new ModelError(`Node "${node.name}" (${node.kind}) needs an [H, W, C] input, got [${s.join(', ')}].`);
  }
  return s[2];
}

/** Output shapes of one node given its input shapes; validates weights. */
export function nodeOutputShapes(node: Node, ins: Shape[]): Shape[] {
  const x = ins[0];
  switch (node.kind) {
    case 'conv2d': {
      const a = node.attrs;
      const c = channelsOf(node, x);
      if (c % a.groups !== 0 || a.filters % a.groups !== 0) {
        throw new ModelError(
          `Conv "${node.name}" has ${c} input and ${a.filters} output channels, not divisible by ${a.groups} groups.`,
        );
      }
      expectLen(node, 'kernel', node.weights.kernel, a.kernel[0] * a.kernel[1] * (c / a.groups) * a.filters);
      if (node.weights.bias) expectLen(node, 'bias', node.weights.bias, a.filters);
      const h = convOut(x[0], a.kernel[0], a.strides[0], a.dilations[0], a.pads[0], a.pads[2]);
      const w = convOut(x[1], a.kernel[1], a.strides[1], a.dilations[1], a.pads[1], a.pads[3]);
      if (h < 1 || w < 1) throw new ModelError(`Conv "${node.name}" gets an input too small for its kernel.`);
      return [[h, w, a.filters]];
    }
    case 'batchnorm': {
      const c = x[x.length - 1];
      for (const k of ['gamma', 'beta', 'mean', 'variance'] as const) expectLen(node, k, node.weights[k], c);
      return [x];
    }
    case 'activation':
      return [x];
    case 'se': {
      const c = channelsOf(node, x);
      const { hidden, channels } = node.attrs;
      if (channels !== c) throw new ModelError(`SE block "${node.name}" expects ${channels} channels, gets ${c}.`);
      expectLen(node, 'fc1', node.weights.fc1, c * hidden);
      expectLen(node, 'fc2', node.weights.fc2, hidden * c);
      if (node.weights.fc1Bias) expectLen(node, 'fc1Bias', node.weights.fc1Bias, hidden);
      if (node.weights.fc2Bias) expectLen(node, 'fc2Bias', node.weights.fc2Bias, c);
      return [x];
    }
    case 'add': {
      if (ins.length < 2) throw new ModelError(`Add "${node.name}" needs at least two inputs.`);
      for (const s of ins) {
        if (s.join(',') !== x.join(',')) {
          throw new ModelError(`Add "${node.name}" joins different shapes [${x.join(', ')}] and [${s.join(', ')}].`);
        }
      }
      return [x];
    }
    case 'concat': {
      let c = 0;
      for (const s of ins) {
        c += channelsOf(node, s);
        if (s[0] !== x[0] || s[1] !== x[1]) throw new ModelError(`Concat "${node.name}" joins maps of different sizes.`);
      }
      return [[x[0], x[1], c]];
    }
    case 'split': {
      const c = channelsOf(node, x);
      const total = node.attrs.sizes.reduce((a, b) => a + b, 0);
      if (total !== c) throw new ModelError(`Split "${node.name}" sizes add to ${total}, input has ${c} channels.`);
      return node.attrs.sizes.map((s) => [x[0], x[1], s]);
    }
    case 'channel-shuffle': {
      const c = channelsOf(node, x);
      if (c % node.attrs.groups !== 0) {
        throw new ModelError(`Channel shuffle "${node.name}" cannot split ${c} channels into ${node.attrs.groups} groups.`);
      }
      return [x];
    }
    case 'pool': {
      const c = channelsOf(node, x);
      const a = node.attrs;
      if (a.global) return [[1, 1, c]];
      const h = convOut(x[0], a.kernel[0], a.strides[0], 1, a.pads[0], a.pads[2]);
      const w = convOut(x[1], a.kernel[1], a.strides[1], 1, a.pads[1], a.pads[3]);
      if (h < 1 || w < 1) throw new ModelError(`Pool "${node.name}" gets an input too small for its window.`);
      return [[h, w, c]];
    }
    case 'dense': {
      if (x.length !== 1) throw new ModelError(`Dense "${node.name}" needs a flat input, got [${x.join(', ')}].`);
      expectLen(node, 'kernel', node.weights.kernel, x[0] * node.attrs.units);
      if (node.weights.bias) expectLen(node, 'bias', node.weights.bias, node.attrs.units);
      return [[node.attrs.units]];
    }
    case 'flatten':
      return [[x.reduce((a, b) => a * b, 1)]];
  }
}

/** Shapes of every tensor in the graph (graph inputs included), validated. */
export function inferShapes(g: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  if (g.inputs.length === 0) throw new ModelError(`Model "${g.name}" has no input.`);
  for (const i of g.inputs) shapes.set(i.name, i.shape);
  const names = new Set<string>();
  for (const node of g.nodes) {
    if (names.has(node.name)) throw new ModelError(`Two nodes are named "${node.name}".`);
    names.add(node.name);
    if (node.inputs.length === 0) throw new ModelError(`Node "${node.name}" has no input.`);
    const ins = node.inputs.map((i) => {
      const s = shapes.get(i);
      if (!s) throw new ModelError(`Node "${node.name}" reads "${i}", which no earlier node produces.`);
      return s;
    });
    const outs = nodeOutputShapes(node, ins);
    outputNames(node).forEach((o, k) => shapes.set(o, outs[k]));
  }
  for (const o of g.outputs) {
    if (!shapes.has(o)) throw new ModelError(`Model output "${o}" is not produced by any node.`);
  }
  return shapes;
}

/** Number of logits (classes) of a classifier graph's first output, per image. */
export function logitCount(g: Graph): number {
  return (inferShapes(g).get(g.outputs[0]) ?? []).reduce((a, b) => a * b, 1);
}
