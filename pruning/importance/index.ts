/** The importance criteria by name (what the CLI, API and UI offer). */
import { UserError } from '../../app/model/errors.js';
import type { Criterion, ImportanceContext } from './types.js';
import type { ChannelGroup } from '../groups.js';
import { seMean } from './se-mean.js';
import { seMeanNorm } from './se-mean-norm.js';
import { l1 } from './l1.js';
import { bnGamma } from './bn-gamma.js';
import { random } from './random.js';
import { taylor } from './taylor.js';

export type { Criterion, ImportanceContext } from './types.js';


export const CRITERIA: Record<string, Criterion> = {
  'se-mean': seMean,
  'se-mean-norm': seMeanNorm,
  l1,
  'bn-gamma': bnGamma,
  random,
  taylor,
};

export const CRITERION_NAMES = Object.keys(CRITERIA);

const ALIASES: Record<string, string> = { 'se-mean×norm': 'se-mean-norm', 'se-mean*norm': 'se-mean-norm', 'se-mean-x-norm': 'se-mean-norm' };

export function criterion(name: string): Criterion {
  const c = CRITERIA[ALIASES[name] ?? name];
  if (!c) throw new UserError(`Unknown importance criterion "${name}"; known: ${CRITERION_NAMES.join(', ')}.`);
  return c;
}

/** Scores of every group by one criterion, keyed by group id (what planPrune takes). */
export function scoreGroups(
  name: string,
  groups: ChannelGroup[],
  ctx: ImportanceContext,
): Map<string, Float64Array> {
  const c = criterion(name);
  return new Map(groups.map((g) => [g.id, c(g, ctx)]));
}
