/**
 * Replaces tfjs-backend-cpu kernels with the faster ones of this folder: convolutions (plain and
 * depthwise, forward and both gradients; conv-kernels.ts), BatchMatMul (matmul.ts) and the broadcasting element-wise,
 * reduction and slicing ops a training step spends its time in next (tensor-kernels.ts).
 * Importing this module registers them (app/engine/tf.ts imports it right after the cpu
 * backend); the environment variable SEPRUNE_CPU_KERNELS=tfjs keeps tfjs' own kernels (for
 * before/after benchmarks). A case a fast kernel does not handle is passed to the original
 * kernel, whose function is kept before it is unregistered.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { convBiasGradConfig, convBiasKernels, convKernels, type FastKernel } from './conv-kernels.js';
import { tensorKernels } from './tensor-kernels.js';
import { batchNormGradConfig, batchNormKernels } from './batchnorm.js';
import { fusedGradConfigs, fusedKernels } from './fused.js';
import { groupConvGradConfig, groupConvKernels } from './group-conv.js';
import { optimKernels } from './optim.js';
import { matMulKernels } from './matmul.js';

const fast: Record<string, FastKernel> = { ...convKernels, ...tensorKernels, ...matMulKernels };

/** The kernel names this module replaces on the cpu backend. */
export const FAST_KERNEL_NAMES: readonly string[] = Object.keys(fast);

/**
 * Kernels tfjs does not have (fused training batch norm, batchnorm.ts; ReLU and the SE steps,
 * fused.ts; grouped 1×1 convolution, group-conv.ts; the optimiser updates, optim.ts; conv + bias,
 * conv-kernels.ts): registered on 'cpu' with the replacements, absent otherwise, and ops.ts uses them
 * only when they are registered for the active backend.
 */
const added: Record<string, FastKernel> = { ...batchNormKernels, ...fusedKernels, ...groupConvKernels, ...optimKernels, ...convBiasKernels };

/** The names of the kernels this module adds to the cpu backend. */
export const ADDED_KERNEL_NAMES: readonly string[] = Object.keys(added);

function addedKernel(name: string, kernel: FastKernel): tf.KernelFunc {
  return (args) => {
    const out = kernel(args, args.backend as MathBackendCPU);
    if (!out) throw new Error(`${name} cannot run on these inputs`);
    return out;
  };
}

const addedKernels = new Map(Object.entries(added).map(([name, k]) => [name, addedKernel(name, k)]));
for (const config of [batchNormGradConfig, ...fusedGradConfigs, groupConvGradConfig, convBiasGradConfig]) if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);

const originals = new Map<string, tf.KernelFunc>();

function withFallback(name: string, kernel: FastKernel): tf.KernelFunc {
  return (args) => {
    const out = kernel(args, args.backend as MathBackendCPU);
    if (out) return out;
    const original = originalCpuKernel(name);
    if (!original) throw new Error(`no original cpu kernel kept for ${name}`);
    return original(args);
  };
}

const kernels = new Map(Object.entries(fast).map(([name, k]) => [name, withFallback(name, k)]));

/** The original tfjs-backend-cpu kernel function for `name` (kept for fallback and tests). */
export function originalCpuKernel(name: string): tf.KernelFunc | undefined {
  return originals.get(name) ?? (active ? undefined : tf.getKernel(name, 'cpu')?.kernelFunc);
}

/** The fast kernel function for `name` (with its fallback), whether or not it is registered now. */
export function fastCpuKernel(name: string): tf.KernelFunc {
  const k = kernels.get(name);
  if (!k) throw new Error(`no fast cpu kernel named ${name}`);
  return k;
}

let active = false;

/** Registers the fast kernels on 'cpu' (true) or puts tfjs' own back (false). Idempotent. */
export function useFastCpuKernels(on: boolean): void {
  if (on === active) return;
  const cpuLoaded = originals.size > 0 || tf.getKernel('Conv2D', 'cpu') !== undefined;
  for (const [name, func] of addedKernels) {
    const current = tf.getKernel(name, 'cpu');
    if (on && !current && cpuLoaded) tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: func });
    if (!on && current) tf.unregisterKernel(name, 'cpu');
  }
  for (const name of FAST_KERNEL_NAMES) {
    const current = tf.getKernel(name, 'cpu');
    if (!current && !originals.has(name)) continue; // the cpu backend is not loaded: nothing to replace
    if (on && current && !originals.has(name)) originals.set(name, current.kernelFunc);
    if (current) tf.unregisterKernel(name, 'cpu');
    const func = on ? kernels.get(name) : originals.get(name);
    if (func) tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: func });
  }
  active = on;
}

/** True while the fast kernels are registered. */
export function fastCpuKernelsActive(): boolean {
  return active;
}

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
if (env?.SEPRUNE_CPU_KERNELS !== 'tfjs') useFastCpuKernels(true);
