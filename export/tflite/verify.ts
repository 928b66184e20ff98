/**
 * The TFLite verifier: a .tflite file opened in the real TFLite interpreter (`@tensorflow/tfjs-tflite`,
 * wasm) in a child process (export/tflite/runtime/run.ts, its own workspace package with the
 * tfjs-core 4.9 it pins), so that version never meets the app's tfjs-core in one process.
 * Inputs are NHWC float32; an int8-input model gets them quantized with its input's parameters,
 * and an int8 output comes back dequantized. A file the interpreter refuses is a ModelError
 * carrying the interpreter's message.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ModelError, UserError } from '../../app/model/errors.js';
import { TensorType } from './schema.js';
import { readTflite } from './read.js';
import { clean, startChild, type TfliteRunner } from './child.js';

export type { TfliteRunner } from './child.js';

/** The interpreter runs single-threaded (its wasm build without threads). */
export const TFLITE_RUNTIME = 'tflite (tfjs-tflite wasm)';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./runtime/run.ts', import.meta.url));

/** Starts the interpreter on `path`; resolves once the model is loaded. */
export async function openTflite(path: string): Promise<TfliteRunner> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UserError(`Cannot read ${path}.`);
  }
  const info = readTflite(bytes, `The TFLite file ${path}`);
  const quantOf = (i: number) => {
    const t = info.tensors[i];
    return t && t.type !== TensorType.FLOAT32 && t.scale.length ? { scale: t.scale[0], zeroPoint: t.zeroPoint[0] } : undefined;
  };
  const io = { input: quantOf(info.inputs[0]), output: quantOf(info.outputs[0]) };
  const c = await startChild(process.execPath, ['--import', 'tsx', CHILD, path, JSON.stringify(io)], ROOT, 'TFLite interpreter', path);
  if (!c.ready.ok) {
    c.kill();
    throw new ModelError(`The TFLite interpreter refused ${path}: ${clean(c.ready.error ?? 'unknown error')}.`);
  }
  return c.runner(TFLITE_RUNTIME, 1);
}

/** One-shot: outputs [n, K] of `inputsNHWC` through the interpreter, and the median per-image latency. */
export async function verifyTflite(path: string, inputsNHWC: Float32Array, n: number): Promise<{ outputs: Float32Array; latencyMs: number }> {
  const r = await openTflite(path);
  try {
    const outputs = await r.run(inputsNHWC, n);
    return { outputs, latencyMs: r.lastLatencyMs };
  } finally {
    await r.release();
  }
}
