/**
 * Checks that a graph is the IR that app/model/ir.ts documents, field by field, before anything
 * reads it: every node is an object of a known kind with a name, string inputs, attributes of
 * the right types and ranges, and only the weight arrays its kind has; every tensor stays within
 * a size a classifier can have. Files (.seprune, .onnx, model.json) are untrusted, so whatever
 * reader built the graph, {@link validateGraph} runs before shape inference and the engines, and
 * refuses with one sentence naming the node and the field.
 */
import type { Graph, Node } from './ir.js';
import { NODE_KINDS } from './ir.js';
import { ModelError } from './errors.js';
import { inferShapes } from './shapes.js';

/** Largest height or width of any tensor (a 16k×16k image is far beyond any classifier's input). */
export const MAX_SIDE = 16384;
/** Largest channel or unit count of a node. */
export const MAX_CHANNELS = 1 << 16;
/** Largest element count of one tensor per image (64 MiB of float32): bounds the engines' memory. */
export const MAX_TENSOR_ELEMENTS = 1 << 24;
export const MAX_NODES = 100_000;

export const ACTIVATION_FNS = ['relu', 'relu6', 'sigmoid', 'hard-sigmoid', 'swish', 'hard-swish', 'linear'] as const;
export const GATE_FNS = ['sigmoid', 'hard-sigmoid'] as const;

const WEIGHT_KEYS: Partial<Record<Node['kind'], { required: string[]; optional: string[] }>> = {
  conv2d: { required: ['kernel'], optional: ['bias'] },
  batchnorm: { required: ['gamma', 'beta', 'mean', 'variance'], optional: [] },
  dense: { required: ['kernel'], optional: ['bias'] },
  se: { required: ['fc1', 'fc2'], optional: ['fc1Bias', 'fc2Bias'] },
};

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Short description of a JSON value for a message: `null`, `"abc"`, `an array`, `0`. */
export function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const short = v.length <= 8 && v.every((x) => x === null || ['number', 'boolean'].includes(typeof x) || (typeof x === 'string' && x.length < 16));
    return short ? JSON.stringify(v) : `a list of ${v.length}`;
  }
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v);
  return String(v);
}

class Checker {
  constructor(
    private readonly where: string,
    private readonly attrs: Record<string, unknown>,
  ) {}
  private fail(key: string, want: string): never {
    throw new ModelError(`${this.where} has attribute ${key} ${describe(this.attrs[key])} where ${want} is needed.`);
  }
  int(key: string, min: number, max: number): void {
    if (!isInt(this.attrs[key], min, max)) this.fail(key, `an integer from ${min} to ${max}`);
  }
  ints(key: string, n: number, min: number, max: number): void {
    const v = this.attrs[key];
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => isInt(x, min, max))) this.fail(key, `${n} integers from ${min} to ${max}`);
  }
  num(key: string, optional = false): void {
    if (optional && this.attrs[key] === undefined) return;
    if (!isFinite(this.attrs[key])) this.fail(key, 'a finite number');
  }
  oneOf(key: string, values: readonly string[]): void {
    if (!values.includes(this.attrs[key] as string)) this.fail(key, `one of ${values.join(', ')}`);
  }
  bool(key: string): void {
    if (typeof this.attrs[key] !== 'boolean') this.fail(key, 'true or false');
  }
}

function checkAttrs(n: Node, where: string): void {
  if (!isObject(n.attrs)) throw new ModelError(`${where} has attributes ${describe(n.attrs)} where an object is needed.`);
  const c = new Checker(where, n.attrs as Record<string, unknown>);
  switch (n.kind) {
    case 'conv2d':
      c.int('filters', 1, MAX_CHANNELS);
      c.ints('kernel', 2, 1, MAX_SIDE);
      c.ints('strides', 2, 1, MAX_SIDE);
      c.ints('pads', 4, 0, MAX_SIDE);
      c.ints('dilations', 2, 1, MAX_SIDE);
      c.int('groups', 1, MAX_CHANNELS);
      return;
    case 'batchnorm':
      c.num('epsilon');
      c.num('momentum');
      if (n.attrs.epsilon < 0) throw new ModelError(`${where} has a negative epsilon (${n.attrs.epsilon}).`);
      return;
    case 'activation':
      c.oneOf('fn', ACTIVATION_FNS);
      c.num('alpha', true);
      c.num('beta', true);
      return;
    case 'se':
      c.int('channels', 1, MAX_CHANNELS);
      c.int('hidden', 1, MAX_CHANNELS);
      c.oneOf('gate', GATE_FNS);
      c.num('gateAlpha');
      c.num('gateBeta');
      c.oneOf('innerAct', ACTIVATION_FNS);
      return;
    case 'split':
      if (!Array.isArray(n.attrs.sizes) || n.attrs.sizes.length < 1 || n.attrs.sizes.length > MAX_CHANNELS || !n.attrs.sizes.every((s) => isInt(s, 1, MAX_CHANNELS))) {
        throw new ModelError(`${where} has split sizes ${describe(n.attrs.sizes)} where a list of positive channel counts is needed.`);
      }
      return;
    case 'channel-shuffle':
      c.int('groups', 1, MAX_CHANNELS);
      return;
    case 'pool':
      c.oneOf('type', ['max', 'avg']);
      c.bool('global');
      c.ints('kernel', 2, 1, MAX_SIDE);
      c.ints('strides', 2, 1, MAX_SIDE);
      c.ints('pads', 4, 0, MAX_SIDE);
      c.bool('countIncludePad');
      return;
    case 'dense':
      c.int('units', 1, MAX_CHANNELS);
      return;
    case 'add':
    case 'concat':
    case 'flatten':
      return;
  }
}

function checkWeights(n: Node, where: string): void {
  const keys = WEIGHT_KEYS[n.kind];
  const w = (n as { weights?: unknown }).weights;
  if (!keys) {
    if (w !== undefined) throw new ModelError(`${where} carries weights, which a ${n.kind} node does not have.`);
    return;
  }
  if (!isObject(w)) throw new ModelError(`${where} has weights ${describe(w)} where an object of arrays is needed.`);
  for (const k of keys.required) if (!(w[k] instanceof Float32Array)) throw new ModelError(`${where} is missing its ${k} weights.`);
  for (const [k, v] of Object.entries(w)) {
    if (!keys.required.includes(k) && !keys.optional.includes(k)) throw new ModelError(`${where} has an unknown weight "${k}".`);
    if (!(v instanceof Float32Array)) throw new ModelError(`${where} has ${k} weights ${describe(v)} where an array of numbers is needed.`);
  }
}

/** Checks every field of a graph (see the file comment), then its shapes; throws a ModelError. */
export function validateGraph(g: Graph, what = 'The model'): void {
  if (!isObject(g)) throw new ModelError(`${what} has no model graph.`);
  if (typeof g.name !== 'string') throw new ModelError(`${what} has a graph name ${describe(g.name)} where a string is needed.`);
  if (!isObject(g.meta)) throw new ModelError(`${what} has graph metadata ${describe(g.meta)} where an object is needed.`);
  if (!Array.isArray(g.inputs) || g.inputs.length !== 1) {
    throw new ModelError(`${what} has ${describe(g.inputs)} graph inputs where exactly one image input is needed.`);
  }
  const input = g.inputs[0];
  if (!isObject(input) || typeof input.name !== 'string' || input.name === '') throw new ModelError(`${what} has an input without a name.`);
  const s = input.shape;
  if (!Array.isArray(s) || s.length !== 3 || !isInt(s[0], 1, MAX_SIDE) || !isInt(s[1], 1, MAX_SIDE) || !isInt(s[2], 1, MAX_CHANNELS)) {
    throw new ModelError(`${what} has input shape ${describe(s)} where [height, width, channels] with each from 1 to ${MAX_SIDE} is needed.`);
  }
  if (!Array.isArray(g.outputs) || g.outputs.length < 1 || !g.outputs.every((o) => typeof o === 'string')) {
    throw new ModelError(`${what} has outputs ${describe(g.outputs)} where a list of tensor names is needed.`);
  }
  if (!Array.isArray(g.nodes) || g.nodes.length > MAX_NODES) throw new ModelError(`${what} has nodes ${describe(g.nodes)} where a list of at most ${MAX_NODES} is needed.`);
  g.nodes.forEach((n, i) => {
    if (!isObject(n)) throw new ModelError(`${what} has node ${i} ${describe(n)} where an object is needed.`);
    if (typeof n.name !== 'string' || n.name === '') throw new ModelError(`${what} has node ${i} without a name.`);
    const where = `Node "${n.name.slice(0, 80)}"`;
    if (!NODE_KINDS.includes(n.kind)) throw new ModelError(`${what} contains a node of unknown kind ${describe(n.kind)}.`);
    if (!Array.isArray(n.inputs) || !n.inputs.every((x) => typeof x === 'string')) {
      throw new ModelError(`${where} has inputs ${describe(n.inputs)} where a list of tensor names is needed.`);
    }
    for (const k of ['stage', 'block'] as const) {
      if (n[k] !== undefined && typeof n[k] !== 'string') throw new ModelError(`${where} has a ${k} label ${describe(n[k])} where a string is needed.`);
    }
    checkAttrs(n, where);
    checkWeights(n, where);
  });
  const shapes = inferShapes(g);
  for (const [name, shape] of shapes) {
    const elements = shape.reduce((a, b) => a * b, 1);
    if (elements > MAX_TENSOR_ELEMENTS || shape.some((d) => !(d >= 1))) {
      throw new ModelError(`Tensor "${name.slice(0, 80)}" has shape [${shape.join(', ')}], more than the ${MAX_TENSOR_ELEMENTS.toLocaleString('en-US')} values per image this tool runs.`);
    }
  }
}
