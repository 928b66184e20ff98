/** Filter L1 norm: Σ|w| of each channel's filters in the group's producers (Li et al. 2017). */
import type { Criterion } from './types.js';
import { filterNorms } from './filters.js';

export const l1: Criterion = {
  name: 'l1',
  summary: 'filter L1 norm of the producing convs (needs no data)',
  needs: {},
  score: (group, ctx) => filterNorms(ctx.graph, group, 'l1'),
};
