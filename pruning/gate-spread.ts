/**
 * Uninformative gates: an SE block whose mean gate is (nearly) the same for every channel says
 * nothing about which channel matters — a trained MobileNetV3-Small on Fashion-MNIST has every
 * hard-sigmoid gate at 0.50 — so ranking its channels by the gate ranks them by noise.
 */
import type { ExcitationStats } from './stats/types.js';

/** Spread (population std across channels of the mean gate) below which a block's gates are uninformative. */
export const GATE_SPREAD_MIN = 0.01;

export function gateSpread(mean: number[]): number {
  const m = mean.reduce((a, v) => a + v, 0) / Math.max(1, mean.length);
  return Math.sqrt(mean.reduce((a, v) => a + (v - m) ** 2, 0) / Math.max(1, mean.length));
}

/** Names of the blocks whose gates are nearly equal across channels. */
export function uninformativeGates(stats: ExcitationStats): string[] {
  return stats.blocks.filter((b) => b.mean.length > 1 && gateSpread(b.mean) < GATE_SPREAD_MIN).map((b) => b.name);
}
