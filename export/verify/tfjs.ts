/**
 * TF.js verifier: the written folder loaded by @tensorflow/tfjs's own `loadGraphModel` through a
 * file IOHandler (model.json parsed and its shards read as listed in the manifest; tfjs decodes
 * the float16 / uint8 weight quantization itself), run on the CPU backend.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { ModelError } from '../../app/model/errors.js';
import type { Runner } from '../types.js';

const clean = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim().replace(/[.\s]+$/, '');

/** An IOHandler reading `dir/model.json` and its weight files from disk. */
export function fileHandler(dir: string): tfjs.io.IOHandler {
  return {
    async load() {
      const path = join(dir, 'model.json');
      if (!existsSync(path)) throw new Error(`${path} does not exist`);
      const modelJson = JSON.parse(readFileSync(path, 'utf8')) as tfjs.io.ModelJSON;
      return tfjs.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tfjs.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = readFileSync(join(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tfjs.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

export async function openTfjs(dir: string): Promise<Runner> {
  await tfjs.setBackend('cpu');
  let model: tfjs.GraphModel;
  try {
    model = await tfjs.loadGraphModel(fileHandler(dir));
  } catch (e) {
    throw new ModelError(`TensorFlow.js cannot load this model: ${clean(e)}.`);
  }
  const shape = model.inputs[0].shape ?? [];
  return {
    runtime: `@tensorflow/tfjs ${tfjs.version.tfjs} (loadGraphModel, cpu)`,
    threads: 1,
    async run(x, n) {
      const input = tfjs.tensor(x, [n, ...shape.slice(1)] as number[]);
      try {
        const y = model.execute(input) as tfjs.Tensor;
        const out = (await y.data()) as Float32Array;
        y.dispose();
        return Float32Array.from(out);
      } catch (e) {
        throw new ModelError(`TensorFlow.js failed to run this model: ${clean(e)}.`);
      } finally {
        input.dispose();
      }
    },
    async release() {
      model.dispose();
    },
  };
}
