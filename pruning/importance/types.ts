/** The shape every channel-importance criterion has: scores per channel of a group, higher = keep. */
import type { Graph } from '../../app/model/ir.js';
import type { ExcitationStats } from '../stats/types.js';
import type { ChannelGroup } from '../groups.js';

export interface ImportanceContext {
  graph: Graph;
  stats?: ExcitationStats;
  seed: number;
  /** Mean loss gradients keyed `${node}/${weight}` (pruning/stats/gradients.ts), for taylor. */
  gradients?: Map<string, Float32Array>;
  /** Criteria append a sentence here when they fall back or approximate (shown to the user). */
  notes?: string[];
}

export type Criterion = (group: ChannelGroup, ctx: ImportanceContext) => Float64Array;
