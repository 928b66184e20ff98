/**
 * The statistics pass: streams the calibration images through the model with every SE gate
 * exposed and accumulates the excitation statistics defined in ./types.ts.
 */
import type { Graph } from '../../app/model/ir.js';
import { seNodes } from '../../app/model/ir.js';
import { UserError } from '../../app/model/errors.js';
import type { Dataset } from '../../app/data/types.js';
import { createInference, type InferenceOptions } from '../../app/engine/inference.js';
import { runDataset, type RunSummary } from '../../app/engine/run-dataset.js';
import type { Progress } from '../../app/util/progress.js';
import { StatsAccumulator } from './accumulate.js';
import type { ExcitationStats } from './types.js';

export interface CollectOptions extends InferenceOptions {
  model: string;
  modelHash: string;
  seed: number;
  batchSize?: number;
  bins?: number;
  progress?: Progress;
}

export async function collectStats(
  g: Graph,
  ds: Dataset,
  indices: number[],
  o: CollectOptions,
): Promise<{ stats: ExcitationStats; run: RunSummary; note?: string }> {
  const blocks = seNodes(g).map((n) => ({ name: n.name, channels: n.attrs.channels }));
  if (blocks.length === 0) throw new UserError(`Model ${o.model} has no SE blocks, so there are no gate statistics to gather.`);
  const inf = await createInference(g, { ...o, gates: true });
  const acc = new StatsAccumulator(blocks, ds.classes.length, o.bins ?? 20);
  try {
    const run = await runDataset(ds, indices, inf, (b) => acc.add(b.gates, b.labels), {
      batchSize: o.batchSize ?? 64,
      ...(o.progress ? { progress: o.progress } : {}),
      label: 'stats',
    });
    if (run.n === 0) throw new UserError(`No image of ${ds.name} could be read, so no statistics were gathered.`);
    const stats = acc.finish({
      model: o.model,
      modelHash: o.modelHash,
      seed: o.seed,
      dataset: `${ds.name} (${ds.source}, ${ds.split})`,
      engine: inf.engine,
    });
    return { stats, run, ...(inf.note ? { note: inf.note } : {}) };
  } finally {
    await inf.release();
  }
}
