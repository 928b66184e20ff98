/**
 * Mean SE gate (the tool's default): a channel's score is the mean gate value its SE block gave it
 * over the calibration set. A group gated by several SE blocks (a residual stream with residual
 * 'couple': every block of the stage gates it) averages them; a channel with several slots in a
 * gated tensor averages those.
 *
 * Groups without a gate of their own (a ResNet block's inner channels, a MobileNetV3 expand
 * conv's output when the SE sits elsewhere, ShuffleNetV2's pw1) inherit importance downstream: for
 * each consumer conv/dense of the group whose own outputs are gated (through BN, activations and
 * depthwise convs only), channel c scores Σ_o |W[·, c, o]| × meanGate[o] — how much the channel
 * feeds the outputs the gates keep open. Summed over such consumers. With no gate information at
 * all (no stats, or no SE upstream or downstream) the criterion falls back to filter L1 and says
 * so in a note.
 */
import { type Graph, type Node, consumers } from '../../app/model/ir.js';
import type { ExcitationStats } from '../stats/types.js';
import type { ChannelGroup } from '../groups.js';
import type { Criterion } from './types.js';
import { l1 } from './l1.js';

function gateMeans(stats: ExcitationStats | undefined, se: string): number[] | undefined {
  return stats?.blocks.find((b) => b.name === se)?.mean;
}

/** A per-gate-channel value of one SE block (its mean gate, its Taylor score, ...), if known. */
export type GateValues = (se: string) => ArrayLike<number> | undefined;

/** Direct gate scores, or undefined when no gate of the group has statistics. */
export function directGateScores(group: ChannelGroup, stats?: ExcitationStats): Float64Array | undefined {
  return gatedScores(group, (se) => gateMeans(stats, se));
}

/** The group's channels scored by `values` of the SE blocks gating them (averaged over gates and slots). */
export function gatedScores(group: ChannelGroup, values: GateValues): Float64Array | undefined {
  const out = new Float64Array(group.size);
  let used = 0;
  for (const gate of group.gates) {
    const m = values(gate.se);
    if (!m) continue;
    used++;
    for (let i = 0; i < group.size; i++) {
      for (let k = 0; k < gate.per; k++) out[i] += m[gate.index[i * gate.per + k]] / gate.per;
    }
  }
  if (used === 0) return undefined;
  for (let i = 0; i < out.length; i++) out[i] /= used;
  return out;
}

/** The SE block gating `tensor` channel for channel, looking through BN, activations and depthwise convs. */
function downstreamGate(cons: Map<string, Node[]>, tensor: string): string | undefined {
  let frontier = [tensor];
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const t of frontier) {
      for (const n of cons.get(t) ?? []) {
        if (n.kind === 'se') return n.name;
        // Depthwise: one input and one output channel per group (kernel kh·kw·1·C).
        const dw =
          n.kind === 'conv2d' &&
          n.attrs.groups > 1 &&
          n.attrs.groups === n.attrs.filters &&
          n.weights.kernel.length === n.attrs.kernel[0] * n.attrs.kernel[1] * n.attrs.filters;
        if (n.kind === 'batchnorm' || n.kind === 'activation' || dw) next.push(n.name);
      }
    }
    frontier = next;
  }
  return undefined;
}

/** Inherited scores from gated consumers, or undefined when there are none. */
export function inheritedGateScores(group: ChannelGroup, graph: Graph, stats?: ExcitationStats): Float64Array | undefined {
  if (!stats) return undefined;
  const cons = consumers(graph);
  const out = new Float64Array(group.size);
  let used = 0;
  for (const name of group.consumers) {
    const n = graph.nodes.find((x) => x.name === name);
    if (!n || (n.kind !== 'conv2d' && n.kind !== 'dense')) continue;
    const t = group.tensors.find((x) => x.tensor === n.inputs[0]);
    const se = downstreamGate(cons, n.name);
    const m = se ? gateMeans(stats, se) : undefined;
    if (!t || !m) continue;
    used++;
    const O = n.kind === 'conv2d' ? n.attrs.filters : n.attrs.units;
    const G = n.kind === 'conv2d' ? n.attrs.groups : 1;
    const inPerGroup = n.weights.kernel.length / (O * (n.kind === 'conv2d' ? n.attrs.kernel[0] * n.attrs.kernel[1] : 1));
    const spatial = n.kind === 'conv2d' ? n.attrs.kernel[0] * n.attrs.kernel[1] : 1;
    const Og = O / G;
    for (let i = 0; i < group.size; i++) {
      for (let k = 0; k < t.per; k++) {
        const c = t.index[i * t.per + k];
        const gi = Math.floor(c / inPerGroup);
        const j = c % inPerGroup;
        let s = 0;
        for (let p = 0; p < spatial; p++) {
          for (let o = gi * Og; o < (gi + 1) * Og; o++) s += Math.abs(n.weights.kernel[(p * inPerGroup + j) * O + o]) * m[o];
        }
        out[i] += s;
      }
    }
  }
  return used > 0 ? out : undefined;
}

export const seMean: Criterion = {
  name: 'se-mean',
  summary: 'mean SE gate over the calibration set; ungated channels inherit from the gates downstream',
  needs: { stats: true },
  score(group, ctx) {
    const direct = directGateScores(group, ctx.stats);
    if (direct) return direct;
    const inherited = inheritedGateScores(group, ctx.graph, ctx.stats);
    if (inherited) {
      ctx.notes?.push(`Group ${group.label} has no SE gate of its own; its score is inherited from the gates after its consumers.`);
      return inherited;
    }
    ctx.notes?.push(
      ctx.stats
        ? `Group ${group.label} has no SE gate before or after it; scored by filter L1 instead.`
        : `No excitation statistics were given; group ${group.label} is scored by filter L1 instead.`,
    );
    return l1.score(group, ctx);
  },
};
