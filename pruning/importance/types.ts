/**
 * The shape every channel-importance criterion has: an object that names itself, declares what
 * it needs (gate statistics, a gradient pass, calibration data) and scores the channels of one
 * group (higher = keep). The prune workflow (app/workflows/prune.ts) reads `needs` to gather only
 * what the chosen criterion uses; no caller tests names.
 */
import type { Graph } from '../../app/model/ir.js';
import type { ExcitationStats } from '../stats/types.js';
import type { ChannelGroup } from '../groups.js';

/** Per-channel measurements of a pass over calibration data, keyed by node name. */
export interface ChannelMeasures {
  /** Per SE block: E[s_c · |u_c|], the mean magnitude of the gated output. */
  gatedMagnitude?: Map<string, Float64Array>;
  /** Per SE block: mean over batches of (Σ s_c · ∂L/∂s_c)², first-order Taylor on the gate as a channel mask. */
  gateTaylor?: Map<string, Float64Array>;
}

export interface ImportanceContext {
  graph: Graph;
  stats?: ExcitationStats;
  seed: number;
  /** Mean loss gradients keyed `${node}/${weight}` (pruning/stats/gradients.ts), for taylor. */
  gradients?: Map<string, Float32Array>;
  measures?: ChannelMeasures;
  /** Criteria append a sentence here when they fall back or approximate (shown to the user). */
  notes?: string[];
}

/** What a criterion needs before it can score. */
export interface CriterionNeeds {
  /** Excitation statistics of the SE gates (only asked for when the model has SE blocks). */
  stats?: boolean;
  /** Mean loss gradients of every weight (a backward pass over calibration images). */
  gradients?: boolean;
  /** Measures from a pass over calibration images (forward, and backward for gateTaylor). */
  measures?: (keyof ChannelMeasures)[];
}

export interface Criterion {
  name: string;
  /** One line for --help and the app. */
  summary: string;
  needs: CriterionNeeds;
  score(group: ChannelGroup, ctx: ImportanceContext): Float64Array;
}

/** True when the criterion reads calibration images (through gradients or measures). */
export function needsData(c: Criterion): boolean {
  return c.needs.gradients === true || (c.needs.measures?.length ?? 0) > 0;
}
