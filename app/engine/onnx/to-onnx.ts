/**
 * IR → ONNX, in memory: {@link graphToOnnx} returns the bytes of an ONNX ModelProto.
 *
 * Conventions (fixed for the whole project; the ONNX importer and the exporters rely on them):
 * - IR version 8, default-domain opset 13 by default (13..17 allowed), float32 throughout.
 * - Layout NCHW. The (first) graph input is named `input` with shape [N, C, H, W], where `N` is the
 *   symbolic batch dimension; further inputs keep their IR names.
 * - One graph output per IR output, in order; the first is named `logits`, the others keep their
 *   IR tensor names. Feature maps come out as [N, C, H, W], flat vectors as [N, K].
 * - With `exposeGates`, every SE node's gate (after sigmoid / hard-sigmoid, before the multiply)
 *   is an extra output `gate:<seNodeName>` of shape [N, C], after the IR outputs.
 * - ONNX node names follow IR node names: the node that produces an IR tensor is named after the
 *   IR node; helper nodes an IR node expands into are named `<irNode>/<step>`. Initializers are
 *   named `<irNode>.<weight>` (e.g. `stage1.conv0.kernel`, `stage1.se0.fc1`).
 * - Weights: conv kernels are transposed from the IR's HWIO to ONNX's OIHW; dense and SE FC
 *   kernels keep their [in, out] layout (Gemm with transB = 0). Float data goes in raw_data,
 *   little-endian.
 * - The IR flattens NHWC, so a flatten of a map bigger than 1×1 transposes to NHWC first.
 * - Activation hard-sigmoid / hard-swish without explicit alpha/beta use PyTorch's 1/6 and 0.5.
 */
import type { ActivationFn, Graph, Node, SeNode } from '../../model/ir.js';
import { outputNames, seNodes } from '../../model/ir.js';
import { inferShapes, type Shape } from '../../model/shapes.js';
import { ModelError, UserError } from '../../model/errors.js';
import {
  AttributeType,
  DataType,
  encodeModel,
  type AttributeProto,
  type Dimension,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './schema.js';

export interface ToOnnxOptions {
  /** Default-domain opset, 13..17 (default 13). */
  opset?: number;
  /** Add one output `gate:<seName>` [N, C] per SE node. */
  exposeGates?: boolean;
  producer?: string;
  /** Written to ModelProto.metadata_props. */
  metadata?: Record<string, string>;
}

export const ONNX_IR_VERSION = 8;
export const DEFAULT_OPSET = 13;
export const MIN_OPSET = 13;
export const MAX_OPSET = 17;
export const ONNX_INPUT_NAME = 'input';
export const ONNX_LOGITS_NAME = 'logits';
/** Name of the extra output carrying an SE node's gate. */
export const gateOutputName = (seName: string): string => `gate:${seName}`;

const HARD_SIGMOID_ALPHA = 1 / 6;
const HARD_SIGMOID_BETA = 0.5;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function floatBytes(a: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i], true);
  return out;
}

function int64Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

/** HWIO [kh, kw, I, O] → OIHW [O, I, kh, kw]. */
export function hwioToOihw(k: Float32Array, kh: number, kw: number, inC: number, outC: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let h = 0; h < kh; h++) {
    for (let w = 0; w < kw; w++) {
      for (let i = 0; i < inC; i++) {
        const src = ((h * kw + w) * inC + i) * outC;
        for (let o = 0; o < outC; o++) out[((o * inC + i) * kh + h) * kw + w] = k[src + o];
      }
    }
  }
  return out;
}

const attrInt = (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i });
const attrInts = (name: string, ints: number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints });
const attrFloat = (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f });

/** Per-sample IR shape → ONNX dims with the symbolic batch first (NHWC maps become NCHW). */
export function onnxDims(shape: Shape): (number | string)[] {
  if (shape.length === 3) return ['N', shape[2], shape[0], shape[1]];
  return ['N', ...shape];
}

function valueInfo(name: string, dims: (number | string)[]): ValueInfoProto {
  const dim: Dimension[] = dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d }));
  return { name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim } } } };
}

/** Collects nodes and initializers, keeping every value and node name unique. */
class OnnxGraphWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();

  constructor(readonly opset: number) {}

  private claimValue(name: string): void {
    if (this.values.has(name)) {
      throw new ModelError(`The model cannot be written as ONNX: the tensor name "${name}" is used twice.`);
    }
    this.values.add(name);
  }

  reserveValue(name: string): void {
    this.claimValue(name);
  }

  node(opType: string, name: string, inputs: string[], outputs: string[], attribute: AttributeProto[] = []): void {
    if (this.nodeNames.has(name)) {
      throw new ModelError(`The model cannot be written as ONNX: the node name "${name}" is used twice.`);
    }
    this.nodeNames.add(name);
    for (const o of outputs) this.claimValue(o);
    this.nodes.push({ name, op_type: opType, input: inputs, output: outputs, attribute });
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    this.claimValue(name);
    this.initializers.push({ name, dims, data_type: DataType.FLOAT, raw_data: floatBytes(data) });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.claimValue(name);
    this.initializers.push({ name, dims: [values.length], data_type: DataType.INT64, raw_data: int64Bytes(values) });
    return name;
  }

  scalar(name: string, v: number): string {
    this.claimValue(name);
    this.initializers.push({ name, dims: [], data_type: DataType.FLOAT, raw_data: floatBytes(new Float32Array([v])) });
    return name;
  }

  /** Elementwise activation `fn` from x to y; helper nodes and constants are prefixed with `base`. */
  activation(fn: ActivationFn, base: string, nodeName: string, x: string, y: string, alpha?: number, beta?: number): void {
    const a = alpha ?? HARD_SIGMOID_ALPHA;
    const b = beta ?? HARD_SIGMOID_BETA;
    switch (fn) {
      case 'relu':
        return this.node('Relu', nodeName, [x], [y]);
      case 'relu6':
        return this.node('Clip', nodeName, [x, this.scalar(`${base}.min`, 0), this.scalar(`${base}.max`, 6)], [y]);
      case 'sigmoid':
        return this.node('Sigmoid', nodeName, [x], [y]);
      case 'hard-sigmoid':
        return this.node('HardSigmoid', nodeName, [x], [y], [attrFloat('alpha', a), attrFloat('beta', b)]);
      case 'swish': {
        const s = `${base}/sigmoid`;
        this.node('Sigmoid', s, [x], [s]);
        return this.node('Mul', nodeName, [x, s], [y]);
      }
      case 'hard-swish': {
        const standard = Math.fround(a) === Math.fround(HARD_SIGMOID_ALPHA) && Math.fround(b) === Math.fround(HARD_SIGMOID_BETA);
        if (standard && this.opset >= 14) return this.node('HardSwish', nodeName, [x], [y]);
        const s = `${base}/hardsigmoid`;
        this.node('HardSigmoid', s, [x], [s], [attrFloat('alpha', a), attrFloat('beta', b)]);
        return this.node('Mul', nodeName, [x, s], [y]);
      }
      case 'linear':
        return this.node('Identity', nodeName, [x], [y]);
    }
  }
}

function emitSe(w: OnnxGraphWriter, n: SeNode, x: string, y: string, gateName: string): void {
  const { channels: c, hidden } = n.attrs;
  const p = n.name;
  w.node('GlobalAveragePool', `${p}/gap`, [x], [`${p}/gap`]);
  w.node('Flatten', `${p}/flatten`, [`${p}/gap`], [`${p}/flatten`], [attrInt('axis', 1)]);
  const fc1In = [`${p}/flatten`, w.floats(`${p}.fc1`, [c, hidden], n.weights.fc1)];
  if (n.weights.fc1Bias) fc1In.push(w.floats(`${p}.fc1Bias`, [hidden], n.weights.fc1Bias));
  w.node('Gemm', `${p}/fc1`, fc1In, [`${p}/fc1`]);
  w.activation(n.attrs.innerAct, `${p}.act`, `${p}/act`, `${p}/fc1`, `${p}/act`);
  const fc2In = [`${p}/act`, w.floats(`${p}.fc2`, [hidden, c], n.weights.fc2)];
  if (n.weights.fc2Bias) fc2In.push(w.floats(`${p}.fc2Bias`, [c], n.weights.fc2Bias));
  w.node('Gemm', `${p}/fc2`, fc2In, [`${p}/fc2`]);
  if (n.attrs.gate === 'sigmoid') {
    w.node('Sigmoid', `${p}/gate`, [`${p}/fc2`], [gateName]);
  } else {
    w.node('HardSigmoid', `${p}/gate`, [`${p}/fc2`], [gateName], [
      attrFloat('alpha', n.attrs.gateAlpha),
      attrFloat('beta', n.attrs.gateBeta),
    ]);
  }
  w.node('Unsqueeze', `${p}/unsqueeze`, [gateName, w.int64s(`${p}.axes`, [2, 3])], [`${p}/scale`]);
  w.node('Mul', p, [x, `${p}/scale`], [y]);
}

function emitNode(
  w: OnnxGraphWriter,
  n: Node,
  ins: string[],
  outs: string[],
  inShapes: Shape[],
  gateName: (se: SeNode) => string,
): void {
  const x = ins[0];
  const y = outs[0];
  const p = n.name;
  switch (n.kind) {
    case 'conv2d': {
      const a = n.attrs;
      const inC = inShapes[0][2] / a.groups;
      const [kh, kw] = a.kernel;
      const weight = w.floats(`${p}.kernel`, [a.filters, inC, kh, kw], hwioToOihw(n.weights.kernel, kh, kw, inC, a.filters));
      const inputs = [x, weight];
      if (n.weights.bias) inputs.push(w.floats(`${p}.bias`, [a.filters], n.weights.bias));
      w.node('Conv', p, inputs, [y], [
        attrInts('kernel_shape', [kh, kw]),
        attrInts('strides', [...a.strides]),
        attrInts('pads', [...a.pads]),
        attrInts('dilations', [...a.dilations]),
        attrInt('group', a.groups),
      ]);
      return;
    }
    case 'batchnorm': {
      const c = n.weights.gamma.length;
      const wt = n.weights;
      w.node(
        'BatchNormalization',
        p,
        [x, w.floats(`${p}.gamma`, [c], wt.gamma), w.floats(`${p}.beta`, [c], wt.beta), w.floats(`${p}.mean`, [c], wt.mean), w.floats(`${p}.variance`, [c], wt.variance)],
        [y],
        [attrFloat('epsilon', n.attrs.epsilon)],
      );
      return;
    }
    case 'activation':
      w.activation(n.attrs.fn, p, p, x, y, n.attrs.alpha, n.attrs.beta);
      return;
    case 'se':
      emitSe(w, n, x, y, gateName(n));
      return;
    case 'add': {
      let acc = x;
      for (let i = 1; i < ins.length; i++) {
        const last = i === ins.length - 1;
        const out = last ? y : `${p}/sum${i}`;
        w.node('Add', last ? p : out, [acc, ins[i]], [out]);
        acc = out;
      }
      return;
    }
    case 'concat':
      w.node('Concat', p, ins, [y], [attrInt('axis', 1)]);
      return;
    case 'split':
      w.node('Split', p, [x, w.int64s(`${p}.split`, n.attrs.sizes)], outs, [attrInt('axis', 1)]);
      return;
    case 'channel-shuffle': {
      const [h, wd, c] = inShapes[0];
      const g = n.attrs.groups;
      const grouped = w.int64s(`${p}.grouped`, [0, g, c / g, h, wd]);
      const flat = w.int64s(`${p}.shape`, [0, c, h, wd]);
      w.node('Reshape', `${p}/group`, [x, grouped], [`${p}/group`]);
      w.node('Transpose', `${p}/transpose`, [`${p}/group`], [`${p}/transpose`], [attrInts('perm', [0, 2, 1, 3, 4])]);
      w.node('Reshape', p, [`${p}/transpose`, flat], [y]);
      return;
    }
    case 'pool': {
      const a = n.attrs;
      if (a.global) {
        w.node(a.type === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', p, [x], [y]);
        return;
      }
      const attrs = [attrInts('kernel_shape', [...a.kernel]), attrInts('strides', [...a.strides]), attrInts('pads', [...a.pads])];
      if (a.type === 'max') w.node('MaxPool', p, [x], [y], attrs);
      else w.node('AveragePool', p, [x], [y], [...attrs, attrInt('count_include_pad', a.countIncludePad ? 1 : 0)]);
      return;
    }
    case 'flatten': {
      const s = inShapes[0];
      if (s.length === 3 && s[0] * s[1] > 1) {
        // The IR flattens in NHWC order; put channels last before flattening.
        w.node('Transpose', `${p}/nhwc`, [x], [`${p}/nhwc`], [attrInts('perm', [0, 2, 3, 1])]);
        w.node('Flatten', p, [`${p}/nhwc`], [y], [attrInt('axis', 1)]);
      } else {
        w.node('Flatten', p, [x], [y], [attrInt('axis', 1)]);
      }
      return;
    }
    case 'dense': {
      const inN = inShapes[0][0];
      const units = n.attrs.units;
      const inputs = [x, w.floats(`${p}.kernel`, [inN, units], n.weights.kernel)];
      if (n.weights.bias) inputs.push(w.floats(`${p}.bias`, [units], n.weights.bias));
      w.node('Gemm', p, inputs, [y]);
      return;
    }
  }
}

/** The ONNX graph for `g` (see the conventions at the top of this file). */
export function buildOnnxModel(g: Graph, opts: ToOnnxOptions = {}): ModelProto {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new UserError(`ONNX opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}.`);
  }
  const shapes = inferShapes(g);
  const w = new OnnxGraphWriter(opset);

  // IR tensor name → ONNX value name.
  const rename = new Map<string, string>();
  const inputs: ValueInfoProto[] = g.inputs.map((inp, i) => {
    const name = i === 0 ? ONNX_INPUT_NAME : inp.name;
    rename.set(inp.name, name);
    w.reserveValue(name);
    return valueInfo(name, onnxDims(inp.shape));
  });
  const outputs: ValueInfoProto[] = [];
  const identities: [string, string][] = [];
  g.outputs.forEach((t, i) => {
    const name = i === 0 ? ONNX_LOGITS_NAME : t;
    outputs.push(valueInfo(name, onnxDims(shapes.get(t) ?? [])));
    // An output that is a graph input or already renamed needs a copy of its own.
    if (rename.has(t)) identities.push([t, name]);
    else rename.set(t, name);
  });
  const ref = (t: string): string => rename.get(t) ?? t;

  const gates = new Map<string, string>();
  if (opts.exposeGates) {
    for (const se of seNodes(g)) {
      gates.set(se.name, gateOutputName(se.name));
      outputs.push(valueInfo(gateOutputName(se.name), ['N', se.attrs.channels]));
    }
  }
  const gateName = (se: SeNode): string => gates.get(se.name) ?? `${se.name}/gate`;

  for (const n of g.nodes) {
    const inShapes = n.inputs.map((i) => shapes.get(i) as Shape);
    emitNode(w, n, n.inputs.map(ref), outputNames(n).map(ref), inShapes, gateName);
  }
  for (const [t, name] of identities) w.node('Identity', `${name}/identity`, [ref(t)], [name]);

  return {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: opset }],
    producer_name: opts.producer ?? 'se-prune-studio',
    producer_version: '0.1.0',
    graph: {
      name: g.name,
      node: w.nodes,
      initializer: w.initializers,
      input: inputs,
      output: outputs,
    },
    metadata_props: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}

/** Serialises `g` as ONNX bytes (see the conventions at the top of this file). */
export function graphToOnnx(g: Graph, opts: ToOnnxOptions = {}): Uint8Array {
  return encodeModel(buildOnnxModel(g, opts));
}
