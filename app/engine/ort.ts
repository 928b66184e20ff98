/**
 * onnxruntime-node inference for ONNX bytes written by `onnx/to-onnx.ts` (or any model with the
 * same conventions: one float NCHW input, float outputs, optional `gate:<se>` outputs).
 *
 * Callers stay in the IR's layout: `run` takes an NHWC batch and returns outputs NHWC as well
 * (rank-4 outputs are transposed back from NCHW; [N, K] outputs are returned as they are). Gate
 * outputs are keyed by their output name `gate:<seName>`, each [N, C].
 */
import { availableParallelism } from 'node:os';
import { InferenceSession, Tensor, listSupportedBackends } from 'onnxruntime-node';
import type { Graph } from '../model/ir.js';
import { ModelError, UserError } from '../model/errors.js';
import { graphToOnnx } from './onnx/to-onnx.js';

export interface OrtModel {
  /** Per-sample input shape, NHWC ([H, W, C]) for image models. */
  inputShape: number[];
  /** Model outputs other than gates, in file order. */
  outputNames: string[];
  /** Gate outputs (`gate:<seName>`), in file order. */
  gateNames: string[];
  run(inputNHWC: Float32Array, n: number): Promise<{ outputs: Float32Array[]; gates: Map<string, Float32Array> }>;
  release(): Promise<void>;
}

export interface OrtOptions {
  /** intra-op threads; default: every core (os.availableParallelism()). */
  threads?: number;
  /** onnxruntime's execution provider; 'xnnpack' only where the installed build has it (`ortHasProvider`). */
  provider?: 'cpu' | 'xnnpack';
}

/** Whether the installed onnxruntime-node was built with this execution provider. */
export function ortHasProvider(name: string): boolean {
  return listSupportedBackends().some((b) => b.name === name);
}

/** The execution providers the installed onnxruntime-node lists, e.g. "cpu, webgpu, cuda, tensorrt". */
export function ortProviders(): string {
  return listSupportedBackends()
    .map((b) => b.name)
    .join(', ');
}

const GATE_PREFIX = 'gate:';

/** [n, H, W, C] → [n, C, H, W]. */
export function nhwcToNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let p = 0; p < hw; p++) {
      const src = base + p * c;
      for (let ch = 0; ch < c; ch++) out[base + ch * hw + p] = x[src + ch];
    }
  }
  return out;
}

/** [n, C, H, W] → [n, H, W, C]. */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let ch = 0; ch < c; ch++) {
      const src = base + ch * hw;
      for (let p = 0; p < hw; p++) out[base + p * c + ch] = x[src + p];
    }
  }
  return out;
}

/** "Foo failed.\n" → "Foo failed" so it can sit inside one sentence. */
function clean(message: string): string {
  return message.replace(/\s+/g, ' ').trim().replace(/[.\s]+$/, '');
}

function errorMessage(e: unknown): string {
  return clean(e instanceof Error ? e.message : String(e));
}

/** Opens ONNX bytes in onnxruntime (CPU). A file onnxruntime refuses becomes a ModelError. */
export async function createOrtSession(bytes: Uint8Array, opts: OrtOptions = {}): Promise<OrtModel> {
  const threads = opts.threads ?? availableParallelism();
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, {
      executionProviders: [opts.provider ?? 'cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new ModelError(`onnxruntime cannot load this model: ${errorMessage(e)}.`);
  }
  if (session.inputNames.length !== 1) {
    await session.release();
    throw new ModelError(`The ONNX model has ${session.inputNames.length} inputs; this tool runs models with exactly one image input.`);
  }
  const meta = session.inputMetadata[0];
  const dims = meta.isTensor ? meta.shape.slice(1) : [];
  if (!meta.isTensor || meta.type !== 'float32' || dims.length === 0 || dims.some((d) => typeof d !== 'number')) {
    await session.release();
    throw new ModelError(
      `The ONNX model's input "${session.inputNames[0]}" must be a float32 tensor with a batch axis and fixed other dimensions.`,
    );
  }
  const perSample = dims as number[];
  const isImage = perSample.length === 3;
  const inputShape = isImage ? [perSample[1], perSample[2], perSample[0]] : perSample;
  const sampleSize = perSample.reduce((a, b) => a * b, 1);
  const inputName = session.inputNames[0];
  const outputNames = session.outputNames.filter((o) => !o.startsWith(GATE_PREFIX));
  const gateNames = session.outputNames.filter((o) => o.startsWith(GATE_PREFIX));

  const toIrLayout = (t: Tensor, name: string): Float32Array => {
    if (t.type !== 'float32') throw new ModelError(`The ONNX model's output "${name}" is ${t.type}, not float32.`);
    const data = t.data as Float32Array;
    if (t.dims.length !== 4) return data;
    const [b, c, h, w] = t.dims;
    return nchwToNhwc(data, b, c, h, w);
  };

  return {
    inputShape,
    outputNames,
    gateNames,
    async run(inputNHWC, n) {
      if (!Number.isInteger(n) || n < 1 || inputNHWC.length !== n * sampleSize) {
        throw new UserError(
          `The input batch has ${inputNHWC.length} values, but ${n} samples of [${inputShape.join(', ')}] need ${n * sampleSize}.`,
        );
      }
      const data = isImage ? nhwcToNchw(inputNHWC, n, inputShape[0], inputShape[1], inputShape[2]) : inputNHWC;
      const feed = new Tensor('float32', data, [n, ...perSample]);
      let result: InferenceSession.OnnxValueMapType;
      try {
        result = await session.run({ [inputName]: feed });
      } catch (e) {
        throw new ModelError(`onnxruntime failed to run this model: ${errorMessage(e)}.`);
      }
      const outputs = outputNames.map((o) => toIrLayout(result[o] as Tensor, o));
      const gates = new Map(gateNames.map((o) => [o, toIrLayout(result[o] as Tensor, o)] as const));
      return { outputs, gates };
    },
    async release() {
      await session.release();
    },
  };
}

/** Converts `g` to ONNX in memory and opens it in onnxruntime. */
export async function ortForGraph(g: Graph, opts: { exposeGates?: boolean; threads?: number } = {}): Promise<OrtModel> {
  const bytes = graphToOnnx(g, { exposeGates: opts.exposeGates });
  return createOrtSession(bytes, { threads: opts.threads });
}
