/**
 * Weight norms shared by the criteria: the norm of each group channel's filters in its producers
 * (conv kernel slices over kh·kw·in for that output channel, dense columns), summed over the
 * group's producers and over the channel's slots in each producer's output.
 */
import type { Graph, Node } from '../../app/model/ir.js';
import type { ChannelGroup } from '../groups.js';

/** Sum over kernel rows of f(w) for output channel o of a conv [.., O] or dense [in, O] kernel. */
function columnSum(kernel: Float32Array, O: number, o: number, f: (w: number) => number): number {
  let s = 0;
  for (let p = o; p < kernel.length; p += O) s += f(kernel[p]);
  return s;
}

function outCount(n: Node): number {
  if (n.kind === 'conv2d') return n.attrs.filters;
  if (n.kind === 'dense') return n.attrs.units;
  return 0;
}

export function filterNorms(graph: Graph, group: ChannelGroup, norm: 'l1' | 'l2'): Float64Array {
  const out = new Float64Array(group.size);
  const f = norm === 'l1' ? Math.abs : (w: number) => w * w;
  for (const name of group.producers) {
    const n = graph.nodes.find((x) => x.name === name);
    const t = group.tensors.find((x) => x.tensor === name);
    if (!n || !t || (n.kind !== 'conv2d' && n.kind !== 'dense')) continue;
    const O = outCount(n);
    for (let i = 0; i < group.size; i++) {
      for (let k = 0; k < t.per; k++) out[i] += columnSum(n.weights.kernel, O, t.index[i * t.per + k], f);
    }
  }
  if (norm === 'l2') for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]);
  return out;
}
