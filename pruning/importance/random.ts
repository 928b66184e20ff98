/** Random scores, seeded by the context seed and the group id (a baseline every criterion must beat). */
import { Rng } from '../../app/model/random.js';
import type { Criterion } from './types.js';

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export const random: Criterion = {
  name: 'random',
  summary: 'random scores (the baseline every criterion must beat)',
  needs: {},
  score(group, ctx) {
    const rng = new Rng((ctx.seed ^ hash(group.id)) >>> 0);
    return Float64Array.from({ length: group.size }, () => rng.next());
  },
};
