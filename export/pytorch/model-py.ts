/**
 * model.py for `export --format pytorch`: a readable nn.Module, one attribute per weighted IR node
 * (named after it) and one line per node in forward(), taking NCHW input as the user's PyTorch
 * model did. The state_dict's tensors are the IR's weights in PyTorch layouts (conv OIHW, linear
 * [out, in]), listed by {@link stateTensors} in the order torch's state_dict() has them.
 */
import type { Graph, Node } from '../../app/model/ir.js';
import { inferShapes } from '../../app/model/shapes.js';

/** Python identifiers for node names, unique, never a keyword. */
export function pythonNames(g: Graph): Map<string, string> {
  const used = new Set(['x', 'self', 'torch', 'nn', 'F', 'Model', 'SqueezeExcite', 'hard_sigmoid', 'hard_swish']);
  const out = new Map<string, string>();
  const KEYWORDS = new Set('False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '));
  for (const n of g.nodes) {
    let base = n.name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, 'n_$1') || 'n';
    if (KEYWORDS.has(base)) base = `${base}_`;
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    out.set(n.name, name);
  }
  return out;
}

const num = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

function activation(fn: string, x: string, alpha?: number, beta?: number): string {
  switch (fn) {
    case 'relu':
      return `F.relu(${x})`;
    case 'relu6':
      return `F.relu6(${x})`;
    case 'sigmoid':
      return `torch.sigmoid(${x})`;
    case 'hard-sigmoid':
      return `hard_sigmoid(${x}, ${num(alpha ?? 1 / 6)}, ${num(beta ?? 0.5)})`;
    case 'swish':
      return `F.silu(${x})`;
    case 'hard-swish':
      return `hard_swish(${x})`;
    default:
      return x;
  }
}

interface Layer {
  attr: string;
  ctor: string;
}

function layerOf(n: Node, attr: string, inC: number): Layer | undefined {
  switch (n.kind) {
    case 'conv2d': {
      const a = n.attrs;
      const [t, l, b, r] = a.pads;
      const pad = t === b && l === r ? `, padding=(${t}, ${l})` : '';
      return { attr, ctor: `nn.Conv2d(${inC}, ${a.filters}, kernel_size=(${a.kernel.join(', ')}), stride=(${a.strides.join(', ')})${pad}, dilation=(${a.dilations.join(', ')}), groups=${a.groups}, bias=${n.weights.bias ? 'True' : 'False'})` };
    }
    case 'batchnorm':
      return { attr, ctor: `nn.BatchNorm2d(${n.weights.gamma.length}, eps=${num(n.attrs.epsilon)}, momentum=${num(n.attrs.momentum)})` };
    case 'se':
      return {
        attr,
        ctor: `SqueezeExcite(${n.attrs.channels}, ${n.attrs.hidden}, fc1_bias=${n.weights.fc1Bias ? 'True' : 'False'}, fc2_bias=${n.weights.fc2Bias ? 'True' : 'False'}, inner='${n.attrs.innerAct}', gate='${n.attrs.gate}', gate_alpha=${num(n.attrs.gateAlpha)}, gate_beta=${num(n.attrs.gateBeta)})`,
      };
    case 'dense':
      return { attr, ctor: `nn.Linear(${n.weights.kernel.length / n.attrs.units}, ${n.attrs.units}, bias=${n.weights.bias ? 'True' : 'False'})` };
    default:
      return undefined;
  }
}

/** The forward() line(s) of one node. */
function forwardLines(n: Node, v: (t: string) => string, out: string, attr: string, ranks: Map<string, number>): string[] {
  const x = n.inputs.length ? v(n.inputs[0]) : '';
  const flat = (t: string, input: string) => ((ranks.get(input) ?? 4) === 4 ? `${t}.permute(0, 2, 3, 1).flatten(1)` : t);
  switch (n.kind) {
    case 'conv2d': {
      const [t, l, b, r] = n.attrs.pads;
      if (t === b && l === r) return [`${out} = self.${attr}(${x})`];
      return [`${out} = self.${attr}(F.pad(${x}, (${l}, ${r}, ${t}, ${b})))  # asymmetric padding`];
    }
    case 'batchnorm':
      return (ranks.get(n.inputs[0]) ?? 4) === 4 ? [`${out} = self.${attr}(${x})`] : [`${out} = self.${attr}(${x}[:, :, None, None])[:, :, 0, 0]`];
    case 'activation':
      return [`${out} = ${activation(n.attrs.fn, x, n.attrs.alpha, n.attrs.beta)}`];
    case 'se':
      return [`${out} = self.${attr}(${x})`];
    case 'add':
      return [`${out} = ${n.inputs.map(v).join(' + ')}`];
    case 'concat':
      return [`${out} = ${n.inputs.length > 1 ? `torch.cat([${n.inputs.map(v).join(', ')}], 1)` : x}`];
    case 'split':
      return [`${n.attrs.sizes.map((_, i) => `${out}_${i}`).join(', ')} = torch.split(${x}, [${n.attrs.sizes.join(', ')}], 1)`];
    case 'channel-shuffle':
      return [`${out} = channel_shuffle(${x}, ${n.attrs.groups})`];
    case 'pool': {
      const a = n.attrs;
      if (a.global) return [`${out} = ${x}.${a.type === 'max' ? 'amax' : 'mean'}((2, 3), keepdim=True)`];
      const [t, l, b, r] = a.pads;
      const k = `(${a.kernel.join(', ')})`;
      const s = `(${a.strides.join(', ')})`;
      if (a.type === 'max') return [`${out} = F.max_pool2d(${t + l + b + r ? `F.pad(${x}, (${l}, ${r}, ${t}, ${b}), value=-math.inf)` : x}, ${k}, ${s})`];
      if (t + l + b + r === 0) return [`${out} = F.avg_pool2d(${x}, ${k}, ${s})`];
      if (a.countIncludePad) return [`${out} = F.avg_pool2d(F.pad(${x}, (${l}, ${r}, ${t}, ${b})), ${k}, ${s})`];
      return [`${out} = avg_pool_valid_only(${x}, ${k}, ${s}, (${l}, ${r}, ${t}, ${b}))`];
    }
    case 'dense':
      return [`${out} = self.${attr}(${flat(x, n.inputs[0])})${(ranks.get(n.inputs[0]) ?? 4) === 4 ? '  # flattened in NHWC order, as the weights were trained' : ''}`];
    case 'flatten':
      return [`${out} = ${flat(x, n.inputs[0])}  # NHWC order`];
  }
}

const HELPERS = `
def hard_sigmoid(x, alpha, beta):
    return torch.clamp(x * alpha + beta, 0.0, 1.0)


def hard_swish(x):
    return x * F.relu6(x + 3.0) / 6.0


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def avg_pool_valid_only(x, kernel, stride, pads):
    """Average over the window's real pixels only (count_include_pad=False with asymmetric pads)."""
    ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
    return F.avg_pool2d(F.pad(x, pads), kernel, stride) / F.avg_pool2d(F.pad(ones, pads), kernel, stride)


class SqueezeExcite(nn.Module):
    """s = gate(fc2(inner(fc1(mean over H, W)))); y = s * x, per channel."""

    def __init__(self, channels, hidden, fc1_bias=True, fc2_bias=True, inner='relu', gate='sigmoid', gate_alpha=1 / 6, gate_beta=0.5):
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden, bias=fc1_bias)
        self.fc2 = nn.Linear(hidden, channels, bias=fc2_bias)
        self.inner, self.gate = inner, gate
        self.gate_alpha, self.gate_beta = gate_alpha, gate_beta

    def forward(self, x):
        s = self.fc1(x.mean((2, 3)))
        s = {'relu': F.relu, 'relu6': F.relu6, 'sigmoid': torch.sigmoid, 'swish': F.silu, 'hard-swish': hard_swish}.get(self.inner, lambda t: t)(s)
        s = self.fc2(s)
        s = torch.sigmoid(s) if self.gate == 'sigmoid' else hard_sigmoid(s, self.gate_alpha, self.gate_beta)
        return x * s[:, :, None, None]
`;

/** The source of model.py. */
export function modelPy(g: Graph, header: string[]): string {
  const names = pythonNames(g);
  const shapes = inferShapes(g);
  const ranks = new Map<string, number>([[g.inputs[0].name, 4]]);
  for (const [k, s] of shapes) ranks.set(k, s.length === 3 ? 4 : 2);
  const channels = (t: string) => {
    const s = t === g.inputs[0].name ? g.inputs[0].shape : shapes.get(t);
    return s ? s[s.length - 1] : 0;
  };
  const v = (t: string): string => {
    if (t === g.inputs[0].name) return 'x';
    const m = /^(.*):(\d+)$/.exec(t);
    if (m && names.has(m[1])) return `${names.get(m[1])}_${m[2]}`;
    return names.get(t) ?? 'x';
  };
  const init: string[] = [];
  const body: string[] = [];
  for (const n of g.nodes) {
    const attr = names.get(n.name)!;
    const layer = layerOf(n, attr, n.inputs.length ? channels(n.inputs[0]) : 0);
    if (layer) init.push(`        self.${layer.attr} = ${layer.ctor}`);
    body.push(...forwardLines(n, v, attr, attr, ranks).map((l) => `        ${l}`));
  }
  const [h, w, c] = g.inputs[0].shape;
  return [
    '"""',
    ...header,
    '',
    `Input: float32 NCHW [N, ${c}, ${h}, ${w}], preprocessed as preprocessing.json says. Output: ${g.outputs.length === 1 ? 'the logits' : 'the outputs'}.`,
    'Use:  from model import Model; net = Model(); net.load_state_dict(torch.load("model.pt"))',
    '"""',
    'import math',
    '',
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    HELPERS.trimEnd(),
    '',
    '',
    'class Model(nn.Module):',
    `    """${g.name.replace(/"/g, "'")}: ${g.nodes.length} nodes."""`,
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...(init.length ? init : ['        pass']),
    '',
    '    def forward(self, x):',
    ...body,
    `        return ${g.outputs.length === 1 ? v(g.outputs[0]) : `(${g.outputs.map(v).join(', ')})`}`,
    '',
  ].join('\n');
}

/** The state_dict tensors in torch layouts: [key, shape, values], BN buffers included. */
export function stateTensors(g: Graph): [string, number[], Float32Array][] {
  const names = pythonNames(g);
  const out: [string, number[], Float32Array][] = [];
  const transpose = (a: Float32Array, rows: number, cols: number): Float32Array => {
    const t = new Float32Array(a.length);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
    return t;
  };
  for (const n of g.nodes) {
    const p = names.get(n.name)!;
    if (n.kind === 'conv2d') {
      const [kh, kw] = n.attrs.kernel;
      const o = n.attrs.filters;
      const i = n.weights.kernel.length / (kh * kw * o);
      // HWIO → OIHW
      const k = n.weights.kernel;
      const t = new Float32Array(k.length);
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let ci = 0; ci < i; ci++) for (let co = 0; co < o; co++) t[((co * i + ci) * kh + y) * kw + x] = k[((y * kw + x) * i + ci) * o + co];
      out.push([`${p}.weight`, [o, i, kh, kw], t]);
      if (n.weights.bias) out.push([`${p}.bias`, [o], n.weights.bias]);
    } else if (n.kind === 'batchnorm') {
      const c = n.weights.gamma.length;
      out.push([`${p}.weight`, [c], n.weights.gamma], [`${p}.bias`, [c], n.weights.beta], [`${p}.running_mean`, [c], n.weights.mean], [`${p}.running_var`, [c], n.weights.variance]);
    } else if (n.kind === 'se') {
      const { channels: c, hidden: h } = n.attrs;
      out.push([`${p}.fc1.weight`, [h, c], transpose(n.weights.fc1, c, h)]);
      if (n.weights.fc1Bias) out.push([`${p}.fc1.bias`, [h], n.weights.fc1Bias]);
      out.push([`${p}.fc2.weight`, [c, h], transpose(n.weights.fc2, h, c)]);
      if (n.weights.fc2Bias) out.push([`${p}.fc2.bias`, [c], n.weights.fc2Bias]);
    } else if (n.kind === 'dense') {
      const u = n.attrs.units;
      const i = n.weights.kernel.length / u;
      out.push([`${p}.weight`, [u, i], transpose(n.weights.kernel, i, u)]);
      if (n.weights.bias) out.push([`${p}.bias`, [u], n.weights.bias]);
    }
  }
  return out;
}
