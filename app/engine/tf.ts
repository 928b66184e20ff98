/**
 * The one place that loads TensorFlow.js: tfjs-core, the pure-JS cpu backend, and every
 * gradient (tfjs-core alone registers none). Everything else imports `tf` from here.
 *
 * Gradients: tfjs-core's CommonJS bundle (what Node resolves `@tensorflow/tfjs-core` to) holds no
 * gradient configs; they live only in its per-file ES build under `dist/`, whose extensionless
 * and directory imports Node's ESM loader rejects. Loading `dist/register_all_gradients.js`
 * through `require` (tsx compiles its `import` syntax on the way) resolves them the CommonJS way.
 * That build is a second copy of the core modules, but the engine and every registry live on
 * the global object, so its gradient configs land in the same engine this module's ops use.
 * When gradients are already registered (a bundler resolved the ES build, or the full
 * `@tensorflow/tfjs` is loaded) nothing is loaded.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import './kernels/register.js';
import { createRequire } from 'node:module';

// PROD only silences tfjs' console banners ("looks like you are running TensorFlow.js in Node").
tf.env().set('PROD', true);

let gradientError: string | null = null;

if (!tf.getGradient('Conv2D')) {
  try {
    createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  } catch (e) {
    gradientError = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
}

/** True when gradients are registered (training needs them; inference does not). */
export function gradientsAvailable(): boolean {
  return tf.getGradient('Conv2D') !== undefined;
}

/** Why gradients could not be loaded, or null when they are available. */
export function gradientsProblem(): string | null {
  return gradientsAvailable() ? null : (gradientError ?? 'gradient configs are not registered');
}

export { tf };
