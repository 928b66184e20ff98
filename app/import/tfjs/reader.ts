/**
 * The TF.js layers-model {@link ModelReader}: a `model.json` whose weight shards sit in the same
 * folder (read from there).
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { ModelError } from '../../model/errors.js';
import { oneLineError } from '../one-line.js';
import type { Graph } from '../../model/ir.js';
import type { ModelReader } from '../../model/load.js';
import { inferShapes } from '../../model/shapes.js';
import { labelStagesByResolution } from '../../model/stages.js';
import { kerasToGraph } from './lower.js';
import { parseTopology } from './topology.js';
import { readWeights, type WeightGroup } from './weights.js';

/** model.json bytes (+ shards next to `path`) → IR graph. */
export function tfjsToGraph(bytes: Uint8Array, path: string, readFile: (p: string) => Uint8Array = readFileSync): Graph {
  const file = basename(path);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ModelError(`${file} is not valid JSON (corrupted or truncated).`);
  }
  try {
    const topo = parseTopology(json, file);
    const manifest = (json as { weightsManifest?: WeightGroup[] }).weightsManifest;
    if (!Array.isArray(manifest)) throw new ModelError(`${file} has no weightsManifest.`);
    const weights = readWeights(manifest, path, readFile);
    const cfg = (json as { modelTopology: { model_config?: { config?: { name?: string } } } }).modelTopology.model_config?.config;
    const g = kerasToGraph(topo, weights, file, cfg?.name ?? file.replace(/\.json$/i, ''));
    g.meta = {
      source: file,
      format: 'tfjs-layers',
      kerasMajor: topo.kerasMajor,
      generatedBy: (json as { generatedBy?: string }).generatedBy ?? '',
    };
    inferShapes(g);
    labelStagesByResolution(g);
    return g;
  } catch (e) {
    return oneLineError(e, (detail) => `${file} is not a valid TF.js layers model (${detail}).`);
  }
}

export const tfjsReader: ModelReader = {
  name: 'model.json',
  match(path, head) {
    if (!path.toLowerCase().endsWith('.json')) return false;
    const text = new TextDecoder().decode(head);
    return /^\s*\{/.test(text);
  },
  read(bytes, path) {
    return { graph: tfjsToGraph(bytes, path), history: [] };
  },
};
