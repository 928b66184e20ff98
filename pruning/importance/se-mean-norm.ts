/** Gate × filter norm: the se-mean score times the L2 norm of the channel's producer filters. */
import type { Criterion } from './types.js';
import { seMean } from './se-mean.js';
import { filterNorms } from './filters.js';

export const seMeanNorm: Criterion = {
  name: 'se-mean-norm',
  summary: 'mean gate × filter L2 norm',
  needs: { stats: true },
  score(group, ctx) {
    const gate = seMean.score(group, ctx);
    const norm = filterNorms(ctx.graph, group, 'l2');
    return gate.map((v, i) => v * norm[i]);
  },
};
