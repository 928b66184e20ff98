/** Reads a statistics JSON file (from `seprune stats --out`) and checks it belongs to the model. */
import { readFileSync } from 'node:fs';
import { UserError } from '../../app/model/errors.js';
import type { Graph } from '../../app/model/ir.js';
import { seNodes } from '../../app/model/ir.js';
import type { ExcitationStats } from './types.js';

export function readStatsFile(path: string, g: Graph, modelHash: string): ExcitationStats {
  let s: ExcitationStats;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as ExcitationStats;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`Statistics file ${path} does not exist.`);
    throw new UserError(`Statistics file ${path} is not valid JSON from \`seprune stats --out\`.`);
  }
  if (!s || !Array.isArray(s.blocks) || typeof s.n !== 'number') throw new UserError(`Statistics file ${path} is not from \`seprune stats --out\`.`);
  if (s.modelHash && s.modelHash !== modelHash) {
    throw new UserError(`Statistics file ${path} was gathered on another model (hash ${s.modelHash}, this one is ${modelHash}); run \`seprune stats\` on this model.`);
  }
  for (const se of seNodes(g)) {
    const b = s.blocks.find((x) => x.name === se.name);
    if (b && b.mean.length !== se.attrs.channels) throw new UserError(`Statistics file ${path} has ${b.mean.length} channels for SE block ${se.name}, which has ${se.attrs.channels}.`);
  }
  return s;
}
