/**
 * ONNX verifiers: the written bytes opened in onnxruntime-node (native CPU) and onnxruntime-web
 * (its WebAssembly build, run in Node from the package's own dist folder: no network).
 * Both take NHWC batches and return the `logits` output [n, K].
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { createOrtSession, nhwcToNchw, ortHasProvider, ortProviders } from '../../app/engine/ort.js';
import { ModelError } from '../../app/model/errors.js';
import type { Runner } from '../types.js';

const clean = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim().replace(/[.\s]+$/, '');

export async function openOrtNode(bytes: Uint8Array, provider: 'cpu' | 'xnnpack' = 'cpu'): Promise<Runner> {
  const m = await createOrtSession(bytes, { threads: 1, provider });
  return {
    runtime: provider === 'cpu' ? 'onnxruntime-node' : 'onnxruntime-node (XNNPACK execution provider)',
    threads: 1,
    async run(x, n) {
      return (await m.run(x, n)).outputs[0];
    },
    release: () => m.release(),
  };
}

/** onnxruntime-node's XNNPACK execution provider (the one Android builds use for int8) when this build has it. */
export async function openOrtXnnpackOptional(bytes: Uint8Array): Promise<Runner[]> {
  return ortHasProvider('xnnpack') ? [await openOrtNode(bytes, 'xnnpack')] : [];
}

/** The sentence for an export's notes when the XNNPACK execution provider is not in the installed onnxruntime-node. */
export function ortXnnpackAbsent(): string[] {
  if (ortHasProvider('xnnpack')) return [];
  const version = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  return [`not run with onnxruntime's XNNPACK execution provider: onnxruntime-node ${version} on ${process.platform}-${process.arch} is built without it (its providers: ${ortProviders()})`];
}

let webReady = false;
function setupWeb(): void {
  if (webReady) return;
  const dist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  ortWeb.env.wasm.wasmPaths = join(dist, '/');
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.logLevel = 'error';
  webReady = true;
}

export async function openOrtWeb(bytes: Uint8Array): Promise<Runner> {
  setupWeb();
  let s: ortWeb.InferenceSession;
  try {
    s = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  } catch (e) {
    throw new ModelError(`onnxruntime-web cannot load this model: ${clean(e)}.`);
  }
  const inName = s.inputNames[0];
  const outName = s.outputNames[0];
  const meta = s.inputMetadata[0];
  const dims = meta.isTensor ? (meta.shape.slice(1) as number[]) : [];
  const [c, h, w] = dims;
  return {
    runtime: 'onnxruntime-web (wasm)',
    threads: 1,
    async run(x, n) {
      const feed = new ortWeb.Tensor('float32', nhwcToNchw(x, n, h, w, c), [n, c, h, w]);
      try {
        const r = await s.run({ [inName]: feed });
        return r[outName].data as Float32Array;
      } catch (e) {
        throw new ModelError(`onnxruntime-web failed to run this model: ${clean(e)}.`);
      }
    },
    release: () => s.release(),
  };
}
