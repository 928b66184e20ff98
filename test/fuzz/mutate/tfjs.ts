/**
 * TF.js layers-model mutations: model.json's layer configs (kernel sizes, strides, dilations,
 * filters, units, axes, activations, inbound nodes), its weights manifest (names, shapes, dtypes,
 * paths) and the weight shards' bytes (cut, grown, flipped).
 */
import type { Rng } from '../../../app/model/random.js';
import { mutateBytes, mutateJson, pick, EDGE_INTS } from './bytes.js';

const FIELDS = ['kernel_size', 'strides', 'dilation_rate', 'filters', 'units', 'axis', 'pool_size', 'depth_multiplier', 'epsilon', 'activation', 'padding', 'groups'];

export function mutateTfjs(files: Record<string, Uint8Array>, rng: Rng): { files: Record<string, Uint8Array>; what: string } {
  const out = { ...files };
  const k = rng.int(10);
  const shards = Object.keys(files).filter((f) => f.endsWith('.bin'));
  if (k < 2) {
    const s = pick(rng, shards);
    out[s] = mutateBytes(files[s], rng);
    return { files: out, what: `${s} → ${out[s].length} bytes` };
  }
  const j = JSON.parse(new TextDecoder().decode(files['model.json'])) as { modelTopology: { model_config: { config: { layers: { config: Record<string, unknown> }[] } } }; weightsManifest: unknown };
  let what: string;
  if (k < 6) {
    const layers = j.modelTopology.model_config.config.layers;
    const l = pick(rng, layers);
    const f = pick(rng, FIELDS);
    const v = pick(rng, [0, -1, 1.5, null, 'x', [0, 0], [-1, 2], [3], [1, 1, 1], pick(rng, EDGE_INTS), [2 ** 31, 1], 'hard_sigmoid', 'same', 'valid', 3]);
    l.config[f] = v;
    what = `layer ${String(l.config.name)} ${f} → ${JSON.stringify(v)}`;
  } else if (k < 8) {
    what = `manifest${mutateJson(j.weightsManifest, rng)}`;
  } else {
    what = `model.json${mutateJson(j, rng)}`;
  }
  out['model.json'] = new TextEncoder().encode(JSON.stringify(j));
  return { files: out, what };
}
