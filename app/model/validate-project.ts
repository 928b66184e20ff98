/**
 * Checks the optional parts of a `.seprune` header (preprocessing, labels, statistics, history)
 * field by field, so a hand-edited or corrupted project file is refused at load with one sentence
 * instead of failing later inside a command. The graph itself is checked by validate-graph.ts.
 */
import type { Preprocessing } from './ir.js';
import { ModelError } from './errors.js';
import { describe, isObject, MAX_SIDE } from './validate-graph.js';
import type { ExcitationStats } from './excitation-stats.js';
import type { HistoryEntry } from './project.js';

const isNumList = (v: unknown, n?: number): v is number[] =>
  Array.isArray(v) && (n === undefined || v.length === n) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

export function validatePreprocessing(p: unknown, what: string): Preprocessing {
  if (!isObject(p)) throw new ModelError(`${what} has preprocessing ${describe(p)} where an object is needed.`);
  if (p.channels !== 1 && p.channels !== 3) throw new ModelError(`${what} has preprocessing channels ${describe(p.channels)} where 1 or 3 is needed.`);
  for (const k of ['mean', 'std'] as const) {
    const v = p[k];
    if (!isNumList(v) || (v.length !== 1 && v.length !== p.channels) || (k === 'std' && v.some((x) => x <= 0))) {
      const count = p.channels === 1 ? 'one' : 'one or three';
      throw new ModelError(`${what} has preprocessing ${k} ${describe(v)} where a list of ${count} ${k === 'std' ? 'positive ' : ''}numbers is needed.`);
    }
  }
  for (const [k, min] of [['resize', 1], ['centerCrop', 1], ['pad', 0]] as const) {
    const v = p[k];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min && (v as number) <= MAX_SIDE)) {
      throw new ModelError(`${what} has preprocessing ${k} ${describe(v)} where an integer from ${min} to ${MAX_SIDE} is needed.`);
    }
  }
  return p as unknown as Preprocessing;
}

export function validateLabels(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ModelError(`${what} has labels ${describe(v)} where a list of class names is needed.`);
  return v as string[];
}

export function validateHistory(v: unknown, what: string): HistoryEntry[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((e) => isObject(e) && typeof e.step === 'string' && typeof e.at === 'string' && isObject(e.details))) {
    throw new ModelError(`${what} has a history ${describe(v)} where a list of {step, at, details} entries is needed.`);
  }
  return v as HistoryEntry[];
}

export function validateStats(v: unknown, what: string): ExcitationStats {
  const bad = (field: string, got: unknown): never => {
    throw new ModelError(`${what} has gate statistics whose ${field} is ${describe(got)}; recompute them with \`seprune stats\`.`);
  };
  if (!isObject(v)) bad('header', v);
  const s = v as Record<string, unknown>;
  for (const k of ['model', 'modelHash', 'dataset', 'engine'] as const) if (typeof s[k] !== 'string') bad(k, s[k]);
  for (const k of ['n', 'classes', 'seed'] as const) if (!Number.isInteger(s[k]) || (s[k] as number) < 0) bad(k, s[k]);
  if (!isNumList(s.emptyClasses)) bad('emptyClasses', s.emptyClasses);
  if (!Array.isArray(s.blocks)) bad('blocks', s.blocks);
  for (const b of s.blocks as unknown[]) {
    if (!isObject(b) || typeof b.name !== 'string') bad('block', b);
    const blk = b as Record<string, unknown>;
    const c = blk.channels;
    if (!Number.isInteger(c) || (c as number) < 1) bad(`channels of block ${String(blk.name)}`, c);
    for (const k of ['mean', 'std', 'min', 'max'] as const) if (!isNumList(blk[k], c as number)) bad(`${k} of block ${String(blk.name)}`, blk[k]);
    for (const k of ['identityDistance', 'inputDependence', 'classDependence'] as const) {
      if (typeof blk[k] !== 'number' || !Number.isFinite(blk[k])) bad(`${k} of block ${String(blk.name)}`, blk[k]);
    }
    if (!Array.isArray(blk.perClassMean) || !blk.perClassMean.every((r) => isNumList(r, c as number))) bad(`perClassMean of block ${String(blk.name)}`, blk.perClassMean);
    const h = blk.histogram;
    if (!isObject(h) || !Number.isInteger(h.bins) || (h.bins as number) < 1 || !Array.isArray(h.counts) || !h.counts.every((r) => isNumList(r, h.bins as number))) {
      bad(`histogram of block ${String(blk.name)}`, h);
    }
  }
  return v as unknown as ExcitationStats;
}
