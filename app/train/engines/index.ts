/**
 * The training engines, in the order `--engine auto` tries them (the first that can run wins): a
 * new engine is one file exporting a TrainEngine plus one line here.
 */
import type { TrainEngine } from './types.js';
import { torchEngine } from './torch.js';
import { tfjsEngine } from './tfjs.js';

export type { TrainEngine, TrainWork, EngineProbe } from './types.js';

export const TRAIN_ENGINES: TrainEngine[] = [torchEngine, tfjsEngine];

/** What `--engine` (and the app's setting) accepts: auto, then every engine by name. */
export const engineChoices = (): string[] => ['auto', ...TRAIN_ENGINES.map((e) => e.name)];

export function engineNamed(name: string): TrainEngine {
  const e = TRAIN_ENGINES.find((x) => x.name === name);
  if (!e) throw new Error(`no training engine named ${name}`);
  return e;
}
