/**
 * Fast inference for statistics, evaluation and verification: onnxruntime-node on the model's
 * in-memory ONNX (SE gates exposed as extra outputs) by default, the tfjs IR executor as the
 * fallback. Which engine ran, and why the other did not, is part of every result.
 */
import type { Graph } from '../model/ir.js';
import { UserError } from '../model/errors.js';

export type EngineName = 'onnxruntime-node' | 'tfjs-executor';

export interface Inference {
  /** This module's engines, or the runtime an exported file runs in (workflows/evaluate.ts). */
  engine: EngineName | (string & {});
  /** Why the preferred engine was not used, when it was not. */
  note?: string;
  /** NHWC batch of n samples → logits [n, K] and, when asked, gates keyed by SE node name ([n, C]). */
  run(x: Float32Array, n: number): Promise<{ logits: Float32Array; gates: Map<string, Float32Array> }>;
  release(): Promise<void>;
}

export interface InferenceOptions {
  gates?: boolean;
  engine?: 'auto' | 'onnxruntime' | 'tfjs';
  threads?: number;
}

const GATE = 'gate:';

function stripGatePrefix(m: Map<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of m) out.set(k.startsWith(GATE) ? k.slice(GATE.length) : k, v);
  return out;
}

async function tfjsInference(g: Graph, gates: boolean, note?: string): Promise<Inference> {
  const { runGraph } = await import('./executor.js');
  const capture = gates ? g.nodes.filter((n) => n.kind === 'se').map((n) => `${GATE}${n.name}`) : [];
  return {
    engine: 'tfjs-executor',
    ...(note ? { note } : {}),
    async run(x, n) {
      const r = await runGraph(g, x, n, capture);
      return { logits: r.outputs[0], gates: stripGatePrefix(r.captured) };
    },
    async release() {},
  };
}

export async function createInference(g: Graph, o: InferenceOptions = {}): Promise<Inference> {
  const gates = o.gates ?? false;
  const want = o.engine ?? 'auto';
  if (want === 'tfjs') return tfjsInference(g, gates);
  try {
    const { ortForGraph } = await import('./ort.js');
    const model = await ortForGraph(g, { exposeGates: gates, ...(o.threads ? { threads: o.threads } : {}) });
    return {
      engine: 'onnxruntime-node',
      async run(x, n) {
        const r = await model.run(x, n);
        return { logits: r.outputs[0], gates: stripGatePrefix(r.gates) };
      },
      release: () => model.release(),
    };
  } catch (e) {
    if (want === 'onnxruntime') {
      throw e instanceof UserError ? e : new UserError(`onnxruntime-node could not run this model: ${(e as Error).message.split('\n')[0]}`);
    }
    return tfjsInference(g, gates, `onnxruntime-node unavailable (${(e as Error).message.split('\n')[0]}); used the tfjs executor`);
  }
}
