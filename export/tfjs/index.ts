/**
 * The TF.js writer: a graph model (`model.json` + weight shards in one folder) that
 * `tf.loadGraphModel` loads, with only the nodes and attributes TF.js reads (export/tfjs/slim.ts),
 * short node names (export/tfjs/compact.ts) and compact JSON.
 * Batch norms are folded into their convolutions. fp32 stores float32
 * weights; fp16 and int8 quantize the weights in the manifest (float16, uint8 affine; TF.js
 * dequantizes at load and computes in float32). Verified with @tensorflow/tfjs.
 */
import type { Graph } from '../../app/model/ir.js';
import type { ExportArtifact, ExportOptions, Exporter } from '../types.js';
import { foldBatchNorms } from '../fold-bn.js';
import { metadataEntries, PRODUCER } from '../metadata.js';
import { buildTfjsGraph } from './graph-model.js';
import { compactTfGraph } from './compact.js';
import { slimTfGraph } from './slim.js';
import { encodeWeights, MIN_QUANTIZED, type WeightQuant } from './weights.js';
import { openTfjs } from '../verify/tfjs.js';

export const MODEL_JSON = 'model.json';

export async function writeTfjs(g: Graph, opts: ExportOptions): Promise<ExportArtifact> {
  const { graph, folded } = foldBatchNorms(g);
  const tg = compactTfGraph(slimTfGraph(buildTfjsGraph(graph)));
  const wq: WeightQuant = opts.quant === 'fp16' ? 'float16' : opts.quant === 'int8' ? 'uint8' : 'none';
  const { manifest, shards } = encodeWeights(tg.weights, wq);
  const notes = [`graph model, ${tg.nodes.length} nodes`];
  if (folded) notes.push(`folded ${folded} batch norms into their convolutions`);
  if (wq !== 'none') notes.push(`${wq} weight quantization of every float32 weight of ${MIN_QUANTIZED} or more elements (kernels, biases); computed in float32 by TF.js`);
  const modelJson = {
    format: 'graph-model',
    generatedBy: `${PRODUCER} 0.1.0`,
    convertedBy: PRODUCER,
    modelTopology: { node: tg.nodes, library: {}, versions: { producer: 1 } },
    weightsManifest: manifest,
    userDefinedMetadata: metadataEntries(opts.meta, { quant: opts.quant }),
  };
  const json = new TextEncoder().encode(JSON.stringify(modelJson));
  return { files: [{ name: MODEL_JSON, data: json }, ...shards], notes, keptFloat: [] };
}

export const tfjsExporter: Exporter = {
  format: 'tfjs',
  quant: ['fp32', 'fp16', 'int8'],
  output: 'folder',
  write: writeTfjs,
  async open(path: string) {
    return [await openTfjs(path)];
  },
};
