/**
 * The evaluation job: top-1/top-5, per-class accuracy, confusion, mean loss on the chosen images
 * and CPU latency at batch 1 and 32, in the inference engine asked for (onnxruntime or tfjs).
 * `seprune eval` words it; a host that evaluates calls the same.
 */
import type { Graph } from '../model/ir.js';
import type { Dataset } from '../data/types.js';
import type { Progress } from '../util/progress.js';
import { logitCount } from '../model/shapes.js';
import { createInference, type EngineName, type Inference, type InferenceOptions } from '../engine/inference.js';
import { exportedInference, type ExportedModel } from '../../export/open-exported.js';
import { evaluateOn, measureLatency, type Latency } from '../eval/evaluate.js';

export interface Evaluation {
  engine: EngineName | (string & {});
  note?: string;
  result: Awaited<ReturnType<typeof evaluateOn>>;
  latency: Latency[];
}

/** Accuracy on the images, then latency, in `inf` (released after). */
async function measure(inf: Inference, logits: number, inputShape: number[], ds: Dataset, indices: number[], o: { latency: boolean; progress?: Progress }): Promise<Evaluation> {
  try {
    const result = await evaluateOn(inf, ds, indices, { logits, ...(o.progress ? { progress: o.progress } : {}) });
    const latency = o.latency ? await measureLatency(inf, inputShape) : [];
    return { engine: inf.engine, ...(inf.note ? { note: inf.note } : {}), result, latency };
  } finally {
    await inf.release();
  }
}

export async function evaluateModel(graph: Graph, ds: Dataset, indices: number[], o: { engine?: InferenceOptions['engine']; latency: boolean; progress?: Progress }): Promise<Evaluation> {
  return measure(await createInference(graph, { engine: o.engine ?? 'auto' }), logitCount(graph), graph.inputs[0].shape, ds, indices, o);
}

/**
 * The same measurements for a model file run in its own runtime (an exported int8 ONNX, a
 * .tflite, a TF.js graph model: export/open-exported.ts), which the IR cannot represent.
 */
export async function evaluateExported(m: ExportedModel, ds: Dataset, indices: number[], o: { latency: boolean; progress?: Progress }): Promise<Evaluation> {
  return measure(await exportedInference(m), m.classes, [...m.inputShape], ds, indices, o);
}
