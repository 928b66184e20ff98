/**
 * The importance criteria (what the CLI, API and UI offer): one file per criterion, one line
 * per criterion here. Each declares what it needs (pruning/importance/types.ts).
 */
import { UserError } from '../../app/model/errors.js';
import type { Criterion, ImportanceContext } from './types.js';
import type { ChannelGroup } from '../groups.js';
import { seMean } from './se-mean.js';
import { seMeanNorm } from './se-mean-norm.js';
import { seMagnitude } from './se-magnitude.js';
import { seTaylor } from './se-taylor.js';
import { l1 } from './l1.js';
import { bnGamma } from './bn-gamma.js';
import { random } from './random.js';
import { taylor } from './taylor.js';

export type { Criterion, CriterionNeeds, ChannelMeasures, ImportanceContext } from './types.js';
export { needsData } from './types.js';

/** The criteria, in the order help and the app list them: a new one is one file plus one line here. */
export const CRITERIA: Criterion[] = [
  seMean,
  seMeanNorm,
  seMagnitude,
  seTaylor,
  l1,
  bnGamma,
  taylor,
  random,
];

export const criterionNames = (): string[] => CRITERIA.map((c) => c.name);

const ALIASES: Record<string, string> = { 'se-mean×norm': 'se-mean-norm', 'se-mean*norm': 'se-mean-norm', 'se-mean-x-norm': 'se-mean-norm' };

export function criterion(name: string): Criterion {
  const key = ALIASES[name] ?? name;
  const c = CRITERIA.find((x) => x.name === key);
  if (!c) throw new UserError(`Unknown importance criterion "${name}"; known: ${criterionNames().join(', ')}, auto.`);
  return c;
}

/** Scores of every group by one criterion, keyed by group id (what planPrune takes). */
export function scoreGroups(c: Criterion, groups: ChannelGroup[], ctx: ImportanceContext): Map<string, Float64Array> {
  return new Map(groups.map((g) => [g.id, c.score(g, ctx)]));
}
