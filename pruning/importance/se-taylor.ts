/**
 * First-order Taylor on the SE gate used as a channel mask: removing gated channel c is setting
 * its gate s_c to 0, and the loss change is approximated by s_c · ∂L/∂s_c. The measure pass
 * (pruning/stats/channel-measures.ts) accumulates (Σ_batch s_c · ∂L/∂s_c)² over small batches
 * (Molchanov et al. 2019 accumulate the same square per minibatch). Channels with no gate of their
 * own fall back to the weight Taylor criterion (the same quantity measured at their producers'
 * outputs), and say so.
 */
import type { Criterion } from './types.js';
import { gatedScores } from './se-mean.js';
import { taylor } from './taylor.js';

export const seTaylor: Criterion = {
  name: 'se-taylor',
  summary: 'Taylor on the SE gate as a channel mask, (s·∂L/∂s)²; ungated channels by weight Taylor',
  needs: { gradients: true, measures: ['gateTaylor'] },
  score(group, ctx) {
    const t = ctx.measures?.gateTaylor;
    const direct = t ? gatedScores(group, (se) => t.get(se)) : undefined;
    if (direct) return direct;
    ctx.notes?.push(`Group ${group.label} has no SE gate of its own; scored by weight Taylor.`);
    return taylor.score(group, ctx);
  },
};
