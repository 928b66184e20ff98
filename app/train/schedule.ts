/**
 * Learning-rate schedules as pure functions of the optimiser step: cosine decay after a linear
 * warm-up, and one-cycle (linear warm-up from lr/25 to lr, then cosine down to lr·1e-4, as
 * PyTorch's OneCycleLR with its default factors). Steps count from 0; `totalSteps` is the number
 * of optimiser steps of the whole run, so the schedule is the same however the run is split by
 * cancel and resume.
 */

export type ScheduleKind = 'cosine' | 'onecycle' | 'constant';
export const SCHEDULE_KINDS: ScheduleKind[] = ['cosine', 'onecycle', 'constant'];

export interface ScheduleOptions {
  kind: ScheduleKind;
  /** Peak learning rate. */
  lr: number;
  totalSteps: number;
  /** Steps of linear warm-up. For one-cycle, 0 means 30% of the run (PyTorch's pct_start). */
  warmupSteps: number;
  /** Cosine only: the rate the decay ends at (default 0). */
  minLr?: number;
}

/** One-cycle starts at lr / ONECYCLE_DIV and ends at lr / (ONECYCLE_DIV · ONECYCLE_FINAL_DIV). */
export const ONECYCLE_DIV = 25;
export const ONECYCLE_FINAL_DIV = 1e4;
export const ONECYCLE_DEFAULT_WARMUP = 0.3;

/** Cosine interpolation from `a` (t = 0) to `b` (t = 1). */
function cosineBetween(a: number, b: number, t: number): number {
  const c = Math.min(1, Math.max(0, t));
  return b + (a - b) * 0.5 * (1 + Math.cos(Math.PI * c));
}

/** The learning rate for optimiser step `step` (0-based). */
export function learningRate(step: number, o: ScheduleOptions): number {
  const total = Math.max(1, o.totalSteps);
  switch (o.kind) {
    case 'constant':
      return o.warmupSteps > 0 && step < o.warmupSteps ? (o.lr * (step + 1)) / o.warmupSteps : o.lr;
    case 'cosine': {
      const min = o.minLr ?? 0;
      const warm = Math.min(o.warmupSteps, total);
      // Warm-up reaches the peak on its last step: (step + 1) / warm.
      if (step < warm) return (o.lr * (step + 1)) / warm;
      const span = total - warm;
      return span <= 1 ? o.lr : cosineBetween(o.lr, min, (step - warm) / (span - 1));
    }
    case 'onecycle': {
      const warm = Math.max(1, Math.min(total, o.warmupSteps > 0 ? o.warmupSteps : Math.round(total * ONECYCLE_DEFAULT_WARMUP)));
      const start = o.lr / ONECYCLE_DIV;
      const end = start / ONECYCLE_FINAL_DIV;
      // Linear from `start` at step 0 to the peak at step warm − 1 (as PyTorch with three_phase off, linear anneal on the way up).
      if (step < warm) return warm === 1 ? o.lr : start + ((o.lr - start) * step) / (warm - 1);
      const span = total - warm;
      return span <= 1 ? end : cosineBetween(o.lr, end, (step - warm + 1) / span);
    }
  }
}
