/**
 * BN |γ| (network slimming, Liu et al. 2017): the mean |γ| of the batch norms that directly follow
 * the group's producers, averaged over a channel's slots. A group with no such BN falls back to L1.
 */
import { consumers } from '../../app/model/ir.js';
import type { Criterion } from './types.js';
import { l1 } from './l1.js';

export const bnGamma: Criterion = {
  name: 'bn-gamma',
  summary: 'batch-norm |γ| after the producers (network slimming); filter L1 without batch norm',
  needs: {},
  score(group, ctx) {
    const cons = consumers(ctx.graph);
    const out = new Float64Array(group.size);
    let found = 0;
    for (const p of group.producers) {
      const bn = (cons.get(p) ?? []).find((n) => n.kind === 'batchnorm');
      const t = group.tensors.find((x) => x.tensor === p);
      if (!bn || bn.kind !== 'batchnorm' || !t) continue;
      found++;
      for (let i = 0; i < group.size; i++) {
        for (let k = 0; k < t.per; k++) out[i] += Math.abs(bn.weights.gamma[t.index[i * t.per + k]]) / t.per;
      }
    }
    if (found === 0) {
      ctx.notes?.push(`Group ${group.label} has no batch norm after its producers; scored by filter L1 instead.`);
      return l1.score(group, ctx);
    }
    for (let i = 0; i < out.length; i++) out[i] /= found;
    return out;
  },
};
