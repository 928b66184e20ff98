/**
 * ONNX bytes → IR graph: decode (a corrupt or truncated file is one sentence), fold constants,
 * fuse activations, recognise SE blocks and channel shuffles, lower to NHWC, then check the
 * result with the IR's own shape inference.
 */
import { basename } from 'node:path';
import { ModelError } from '../../model/errors.js';
import { oneLineError } from '../one-line.js';
import type { Graph } from '../../model/ir.js';
import type { Project } from '../../model/project.js';
import { factsFromMetadata } from '../../model/export-metadata.js';
import { validateGraph } from '../../model/validate-graph.js';
import { decodeModel, type ModelProto } from '../../engine/onnx/schema.js';
import { fuseActivations } from './activations.js';
import { resolveGraph } from './resolve-graph.js';
import { lowerToIr } from './lower.js';
import { matchPatterns } from './se-pattern.js';

export function decodeOnnx(bytes: Uint8Array, label: string): ModelProto {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch {
    throw new ModelError(`${label} is not a valid ONNX file (the protobuf data is corrupted or truncated).`);
  }
  if (!model.graph || (model.graph.node?.length ?? 0) === 0) {
    throw new ModelError(`${label} is not a valid ONNX file (it holds no graph nodes).`);
  }
  return model;
}

export function onnxToGraph(bytes: Uint8Array, path = 'model.onnx'): Graph {
  const label = `The model file ${basename(path)}`;
  return convert(decodeOnnx(bytes, label), path, label);
}

/**
 * The file as a project: the graph, and the labels and preprocessing its metadata carries when
 * this tool exported it (so an exported file evaluates with the pipeline it was exported with).
 */
export function onnxToProject(bytes: Uint8Array, path = 'model.onnx'): Project {
  const label = `The model file ${basename(path)}`;
  const model = decodeOnnx(bytes, label);
  const graph = convert(model, path, label);
  const entries = Object.fromEntries((model.metadata_props ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const { labels, preprocessing } = factsFromMetadata(entries, label);
  return { graph, history: [], ...(labels ? { labels } : {}), ...(preprocessing ? { preprocessing } : {}) };
}

function convert(model: ModelProto, path: string, label: string): Graph {
  try {
    const live = resolveGraph(model);
    fuseActivations(live);
    const found = matchPatterns(live);
    const g = lowerToIr(live);
    g.name = live.name === 'onnx-model' || live.name === 'main_graph' ? basename(path).replace(/\.onnx$/i, '') : live.name;
    g.meta = {
      source: basename(path),
      format: 'onnx',
      producer: [model.producer_name, model.producer_version].filter(Boolean).join(' '),
      opset: Number(model.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0),
      seBlocks: found.se,
      channelShuffles: found.shuffle,
    };
    validateGraph(g);
    return g;
  } catch (e) {
    // Anything not a UserError is a file so malformed that an internal invariant broke: still one sentence.
    return oneLineError(e, (detail) => `${label} is not a valid ONNX model (${detail}).`);
  }
}
