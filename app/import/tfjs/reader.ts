/**
 * The TF.js layers-model {@link ModelReader}: a `model.json` whose weight shards sit in the same
 * folder (read from there).
 */
import { basename, dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ModelError, UserError } from '../../model/errors.js';
import { MAX_MODEL_BYTES, readRegular } from '../../util/read-bounded.js';
import { oneLineError } from '../one-line.js';
import type { Graph } from '../../model/ir.js';
import type { ModelReader } from '../reader.js';
import { labelStagesByResolution } from '../../model/stages.js';
import { validateGraph } from '../../model/validate-graph.js';
import { kerasToGraph } from './lower.js';
import { parseTopology } from './topology.js';
import { groupBytes, readWeights, type WeightGroup } from './weights.js';

/**
 * Reads the weight files a model.json lists, asynchronously, each refused unless it is a regular
 * file and read no further than the bytes its group's manifest accounts for (a shard that is
 * /dev/zero, a FIFO or a huge file cannot exhaust memory). Malformed manifests read nothing
 * here; {@link tfjsToGraph} words their error.
 */
async function readShards(bytes: Uint8Array, path: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  let manifest: unknown;
  try {
    manifest = (JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { weightsManifest?: unknown }).weightsManifest;
  } catch {
    return out;
  }
  if (!Array.isArray(manifest)) return out;
  let budget = MAX_MODEL_BYTES;
  for (const group of manifest as WeightGroup[]) {
    let need = groupBytes(group);
    if (need === undefined || !Array.isArray(group.paths)) continue;
    for (const p of group.paths) {
      if (typeof p !== 'string' || p.includes('..') || p.startsWith('/') || out.has(join(dirname(path), p))) continue;
      const file = join(dirname(path), p);
      const cap = Math.min(need, budget);
      const b = await readRegular(file, `The weight file ${basename(p)} listed in ${basename(path)}`, cap, false).catch((e: unknown) => {
        if (e instanceof UserError && !/does not exist/.test(e.message)) throw e;
        return undefined; // a missing shard is worded by tfjsToGraph
      });
      if (!b) continue;
      out.set(file, b);
      need -= b.length;
      budget -= b.length;
    }
  }
  return out;
}

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
    validateGraph(g);
    labelStagesByResolution(g);
    return g;
  } catch (e) {
    return oneLineError(e, (detail) => `${file} is not a valid TF.js layers model (${detail}).`);
  }
}

export const tfjsReader: ModelReader = {
  name: 'TF.js model.json',
  extensions: ['.json'],
  companions: ['.bin'],
  companionsNote: 'its weight files',
  match(path, head) {
    if (!path.toLowerCase().endsWith('.json')) return false;
    const text = new TextDecoder().decode(head);
    return /^\s*\{/.test(text);
  },
  async read(bytes, path) {
    const shards = await readShards(bytes, path);
    const readFile = (p: string): Uint8Array => {
      const b = shards.get(p);
      if (b) return b;
      throw new Error(`${p} was not read`);
    };
    return { graph: tfjsToGraph(bytes, path, readFile), history: [] };
  },
};
