/**
 * A leaner TF.js graph: fewer nodes and only the attributes TF.js reads. On a model of ~50k
 * parameters model.json is a quarter of an int8 folder, so its bytes count as much as the weights'.
 *
 * - Pad → Conv2D / DepthwiseConv2dNative (VALID) becomes one convolution with EXPLICIT padding
 *   (the Pad node and its paddings constant go away).
 * - Attributes TF.js's op mapper does not read (`T`, `Tidx`, `Tshape`, ... which it lists as
 *   notSupported or not at all; a Const's `value` / `dtype`, which come from the weights
 *   manifest) and attributes equal to the op mapper's default (`data_format` NHWC, `transpose_a/b`
 *   false, `N` 2) are dropped.
 * Every exported TF.js folder is loaded by @tensorflow/tfjs's loadGraphModel in the tests and
 * compared with the executor (fp32: max |Δ| ≤ 1e-4), which is what checks this pass.
 */
import type { TfGraph, TfNode } from './graph-model.js';

type Attr = NonNullable<TfNode['attr']>;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
const nodeOf = (ref: string): string => {
  const body = ref.startsWith('^') ? ref.slice(1) : ref;
  const colon = body.lastIndexOf(':');
  return colon > 0 ? body.slice(0, colon) : body;
};

/** Attributes TF.js reads, per op (all others are dropped). */
const KEEP: Record<string, string[]> = {
  Placeholder: ['dtype', 'shape'],
  Conv2D: ['strides', 'padding', 'explicit_paddings', 'dilations'],
  DepthwiseConv2dNative: ['strides', 'padding', 'explicit_paddings', 'dilations'],
  MatMul: ['transpose_a', 'transpose_b'],
  MaxPool: ['strides', 'padding', 'ksize'],
  AvgPool: ['strides', 'padding', 'ksize'],
  Mean: ['keep_dims'],
  Max: ['keep_dims'],
  ConcatV2: ['N'],
};

/** Whether attribute `k` equals the value TF.js assumes when it is absent. */
function isDefault(k: string, v: Attr[string]): boolean {
  if (k === 'transpose_a' || k === 'transpose_b') return 'b' in v && v.b === false;
  if (k === 'N') return 'i' in v && v.i === '2';
  return false;
}

export function slimTfGraph(tg: TfGraph): TfGraph {
  const nodes: TfNode[] = tg.nodes.map((n) => ({ ...n, ...(n.input ? { input: [...n.input] } : {}), ...(n.attr ? { attr: { ...n.attr } } : {}) }));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const readers = new Map<string, TfNode[]>();
  for (const n of nodes) for (const i of n.input ?? []) readers.set(nodeOf(i), [...(readers.get(nodeOf(i)) ?? []), n]);
  const onlyReader = (name: string): TfNode | undefined => {
    const r = readers.get(name) ?? [];
    return r.length === 1 ? r[0] : undefined;
  };
  const removed = new Set<string>();
  const weights = new Map(tg.weights.map((w) => [w.name, w]));

  // Pad → convolution with explicit padding.
  for (const n of nodes) {
    if (n.op !== 'Conv2D' && n.op !== 'DepthwiseConv2dNative') continue;
    const pad = byName.get(nodeOf(n.input![0]));
    const padding = n.attr?.padding;
    if (!pad || pad.op !== 'Pad' || onlyReader(pad.name) !== n || !padding || !('s' in padding) || unb64(padding.s) !== 'VALID') continue;
    const pads = weights.get(pad.input![1]);
    if (!pads || pads.dtype !== 'int32' || pads.data.length !== 8 || pads.data[0] || pads.data[1] || pads.data[6] || pads.data[7]) continue;
    n.input![0] = pad.input![0];
    n.attr!.padding = { s: b64('EXPLICIT') };
    n.attr!.explicit_paddings = { list: { i: Array.from(pads.data, String) } };
    removed.add(pad.name);
    if ((readers.get(pads.name) ?? []).length === 1) removed.add(pads.name);
  }

  const out: TfNode[] = [];
  for (const n of nodes) {
    if (removed.has(n.name)) continue;
    const keep = KEEP[n.op] ?? [];
    const attr: Attr = {};
    for (const [k, v] of Object.entries(n.attr ?? {})) if (keep.includes(k) && !isDefault(k, v)) attr[k] = v;
    out.push({ name: n.name, op: n.op, ...(n.input?.length ? { input: n.input } : {}), ...(Object.keys(attr).length ? { attr } : {}) });
  }
  return { nodes: out, weights: tg.weights.filter((w) => !removed.has(w.name)) };
}
