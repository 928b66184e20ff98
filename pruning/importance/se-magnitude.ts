/**
 * Gate × activation magnitude: E[s_c · |u_c|] over the calibration images and positions, i.e. how
 * much of channel c the SE block lets through on average (a gate of 0.9 on a channel that is
 * always ≈ 0 passes nothing). Channels with no gate of their own inherit from the gates
 * downstream exactly as se-mean does.
 */
import type { Criterion } from './types.js';
import { gatedScores, seMean } from './se-mean.js';

export const seMagnitude: Criterion = {
  name: 'se-magnitude',
  summary: 'gate × activation magnitude E[s·|u|] of each gated channel; ungated channels as se-mean',
  needs: { stats: true, measures: ['gatedMagnitude'] },
  score(group, ctx) {
    const m = ctx.measures?.gatedMagnitude;
    const direct = m ? gatedScores(group, (se) => m.get(se)) : undefined;
    return direct ?? seMean.score(group, ctx);
  },
};
