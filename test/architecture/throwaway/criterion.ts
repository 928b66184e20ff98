/** A throwaway importance criterion in one file: keeps the channels with the highest index. */
import type { Criterion } from '../../../pruning/importance/types.js';

export const toyCriterion: Criterion = {
  name: 'toy-index',
  summary: 'the channel index (a test criterion)',
  needs: {},
  score: (group) => Float64Array.from({ length: group.size }, (_, i) => i),
};
