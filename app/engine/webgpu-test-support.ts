/**
 * For the WebGPU tests: switches tfjs to WebGPU (on SwiftShader when there is no GPU) or throws a
 * sentence naming what is missing, so a machine that cannot run them fails instead of skipping.
 */
import { chooseBackend, SWIFTSHADER_ICD } from './backend.js';
import { tf } from './tf.js';

/** Sets the 'webgpu' backend and returns what chooseBackend reported about it. */
export async function useWebGpu(): Promise<string> {
  if (tf.getBackend() === 'webgpu') return 'webgpu';
  const r = await chooseBackend('webgpu');
  const attempt = r.tried[0];
  if (r.name !== 'webgpu' || !attempt.ok) {
    throw new Error(
      `WebGPU could not start (${attempt.reason}). These tests need the npm package webgpu (an optional ` +
        `dependency: npm ci installs it) and a WebGPU adapter; without a GPU, Debian's chromium package ` +
        `(apt-get install chromium) provides SwiftShader at ${SWIFTSHADER_ICD}.`,
    );
  }
  return attempt.reason;
}

/** Runs `f` on the cpu backend, then switches back to webgpu. */
export async function onCpu<T>(f: () => T | Promise<T>): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return await f();
  } finally {
    await tf.setBackend('webgpu');
  }
}

/** Largest |got − ref| over the largest |ref| (normwise relative error; 0 when both are all zeros). */
export function relErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (got.length !== ref.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    if (!(d <= diff)) diff = d; // NaN propagates
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff === 0 ? 0 : diff / (scale || 1);
}
