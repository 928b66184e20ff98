/**
 * A model file as exported (an int8 QDQ ONNX, a .tflite, a TF.js graph model — what the IR cannot
 * represent), opened read-only in its own runtime: onnxruntime-node, the TFLite interpreter or
 * tfjs. What evaluation needs comes from the file itself: the NHWC input shape and the number of
 * classes from its input and output tensors, and the labels, preprocessing and source model from
 * the metadata this tool writes into every export (export/metadata.ts). `undefined` when the path
 * is none of these formats.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Preprocessing } from '../app/model/ir.js';
import { ModelError } from '../app/model/errors.js';
import { factsFromMetadata } from '../app/model/export-metadata.js';
import { readRegular } from '../app/util/read-bounded.js';
import { decodeModel } from '../app/engine/onnx/schema.js';
import { readTflite } from './tflite/read.js';
import { TensorType } from './tflite/schema.js';
import type { Runner } from './types.js';
import type { Inference } from '../app/engine/inference.js';
import { diskBytes } from '../app/eval/compare.js';

export interface ExportedModel {
  format: 'onnx' | 'tflite' | 'tfjs';
  /** The file (a TF.js model: its folder). */
  path: string;
  /** Per image, NHWC. */
  inputShape: [number, number, number];
  classes: number;
  labels?: string[];
  preprocessing?: Preprocessing;
  /** The model it was exported from, as its metadata names it. */
  source?: string;
  /** The graph hash of that model, as its metadata gives it. */
  sourceHash?: string;
  /** Its precision (fp32, fp16, int8): a TFLite file's from its tensor types, else from its metadata. */
  quant?: string;
  /** On disk (a TF.js model: model.json and its weight files). */
  bytes: number;
  /** Opens it in its own runtime (release the runner when done). */
  runtime(): Promise<Runner>;
}

/** The file's runtime as an {@link Inference} (logits only), for the evaluation and compare code. */
export async function exportedInference(m: ExportedModel): Promise<Inference> {
  const runner = await m.runtime();
  return {
    engine: runner.runtime,
    run: async (x, n) => ({ logits: await runner.run(x, n), gates: new Map() }),
    release: () => runner.release(),
  };
}

function imageShape(dims: number[], layout: 'NCHW' | 'NHWC', what: string): [number, number, number] {
  const d = dims.slice(-3);
  if (dims.length !== 4 || d.some((v) => !Number.isInteger(v) || v < 1)) throw new ModelError(`${what} does not take one fixed-size image batch (its input is [${dims.join(', ')}]).`);
  return layout === 'NCHW' ? [d[1], d[2], d[0]] : [d[0], d[1], d[2]];
}

function classesOf(dims: number[], what: string): number {
  const k = dims.at(-1) ?? 0;
  if (dims.length !== 2 || !Number.isInteger(k) || k < 1) throw new ModelError(`${what} does not output one row of class scores per image (its output is [${dims.join(', ')}]).`);
  return k;
}

async function openOnnxFile(path: string): Promise<ExportedModel> {
  const what = `The ONNX file ${basename(path)}`;
  const bytes = await readRegular(path, `Model file ${path}`);
  let m: ReturnType<typeof decodeModel>;
  try {
    m = decodeModel(bytes);
  } catch {
    throw new ModelError(`${what} is not a valid ONNX model.`);
  }
  const g = m.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const input = (g?.input ?? []).find((i) => i.name && !inits.has(i.name));
  const output = g?.output?.[0];
  const dims = (v: typeof input) => (v?.type?.tensor_type?.shape?.dim ?? []).map((d, i) => (i === 0 ? 1 : Number(d.dim_value ?? 0)));
  const entries = Object.fromEntries((m.metadata_props ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  return {
    format: 'onnx',
    path,
    inputShape: imageShape(dims(input), 'NCHW', what),
    classes: classesOf(dims(output), what),
    ...factsFromMetadata(entries, what),
    bytes: bytes.length,
    runtime: async () => (await import('./verify/onnx.js')).openOrtNode(bytes),
  };
}

async function openTfliteFile(path: string): Promise<ExportedModel> {
  const what = `The TFLite file ${basename(path)}`;
  const bytes = await readRegular(path, `Model file ${path}`);
  const info = readTflite(bytes, what);
  const tensor = (i: number | undefined) => (i === undefined ? undefined : info.tensors[i]);
  return {
    format: 'tflite',
    path,
    inputShape: imageShape(tensor(info.inputs[0])?.shape ?? [], 'NHWC', what),
    classes: classesOf(tensor(info.outputs[0])?.shape ?? [], what),
    ...factsFromMetadata(info.metadata, what),
    quant: tfliteQuant(info.tensors),
    bytes: bytes.length,
    runtime: async () => (await import('./tflite/verify.js')).openTflite(path),
  };
}

/** A TFLite file's precision from its tensors: any int8 tensor is an int8 file, float16 weights fp16. */
function tfliteQuant(tensors: { type: number }[]): string {
  if (tensors.some((t) => t.type === TensorType.INT8)) return 'int8';
  return tensors.some((t) => t.type === TensorType.FLOAT16) ? 'fp16' : 'fp32';
}

interface GraphModelJson {
  format?: string;
  modelTopology?: { node?: { op?: string; attr?: { shape?: { shape?: { dim?: { size?: string | number }[] } } } }[] };
  userDefinedMetadata?: Record<string, string>;
}

async function openTfjsFolder(dir: string): Promise<ExportedModel | undefined> {
  const file = join(dir, 'model.json');
  const what = `The TF.js model ${file}`;
  let json: GraphModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(await readRegular(file, `Model file ${file}`))) as GraphModelJson;
  } catch (e) {
    if (e instanceof ModelError) throw e;
    return undefined;
  }
  if (json?.format !== 'graph-model') return undefined;
  const placeholder = (json.modelTopology?.node ?? []).find((n) => n.op === 'Placeholder');
  const dims = (placeholder?.attr?.shape?.shape?.dim ?? []).map((d, i) => (i === 0 ? 1 : Number(d.size)));
  const inputShape = imageShape(dims, 'NHWC', what);
  const { openTfjs } = await import('./verify/tfjs.js');
  // The graph does not state its output size: one probe image tells it. The loaded model is kept
  // for the first runtime() call rather than loaded again.
  let probe: Runner | undefined = await openTfjs(dir);
  let classes: number;
  try {
    classes = classesOf([1, (await probe.run(new Float32Array(inputShape[0] * inputShape[1] * inputShape[2]), 1)).length], what);
  } catch (e) {
    await probe.release();
    throw e;
  }
  return {
    format: 'tfjs',
    path: dir,
    inputShape,
    classes,
    ...factsFromMetadata(json.userDefinedMetadata ?? {}, what),
    bytes: diskBytes(file),
    runtime: async () => {
      const r = probe ?? (await openTfjs(dir));
      probe = undefined;
      return r;
    },
  };
}

export async function openExported(path: string): Promise<ExportedModel | undefined> {
  if (existsSync(path) && statSync(path).isDirectory()) return existsSync(join(path, 'model.json')) ? openTfjsFolder(path) : undefined;
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return openOnnxFile(path);
  if (ext === '.tflite') return openTfliteFile(path);
  if (basename(path).toLowerCase().endsWith('.json')) return openTfjsFolder(dirname(path));
  return undefined;
}
