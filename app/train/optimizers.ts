/**
 * Optimisers with their own update rules on the ParamStore's tf.Variables (PyTorch semantics):
 * SGD with momentum (optionally Nesterov) and L2 weight decay added to the gradient, and AdamW
 * with decoupled weight decay. Weight decay applies only to conv/dense kernels and SE fc weights,
 * never to biases or BN γ/β (see {@link decayedKeys}). The state (momentum buffers, Adam moments,
 * step count) can be exported as plain arrays and loaded back, for checkpoints.
 */
import type { Graph } from '../model/ir.js';
import { nodeWeights } from '../model/ir.js';
import { tf } from '../engine/tf.js';
import type { ParamStore } from '../engine/params.js';
import { ADAMW_STEP, SGD_STEP } from '../engine/kernels/optim.js';

import type { OptimizerKind } from './defaults.js';
export type { OptimizerKind } from './defaults.js';
export const OPTIMIZER_KINDS: OptimizerKind[] = ['sgd', 'adamw'];

export interface OptimizerOptions {
  kind: OptimizerKind;
  weightDecay: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  nesterov?: boolean;
  /** AdamW β1, β2, ε (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Serialisable optimiser state: slot arrays keyed `${slot}:${node}/${weight}`. */
export interface OptimizerState {
  kind: OptimizerKind;
  /** Optimiser steps taken. */
  t: number;
  slots: Map<string, Float32Array>;
}

/** Keys `${node}/${weight}` that weight decay applies to: conv/dense kernels and SE fc1/fc2. */
export function decayedKeys(g: Graph): Set<string> {
  const out = new Set<string>();
  for (const n of g.nodes) {
    for (const [k] of nodeWeights(n)) {
      if (((n.kind === 'conv2d' || n.kind === 'dense') && k === 'kernel') || (n.kind === 'se' && (k === 'fc1' || k === 'fc2'))) {
        out.add(`${n.name}/${k}`);
      }
    }
  }
  return out;
}

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Applies one update with learning rate `lr`; `grads` are keyed `${node}/${weight}`. Does not dispose them. */
  step(grads: Map<string, tf.Tensor>, lr: number): void;
  /** Steps taken so far. */
  readonly steps: number;
  exportState(): OptimizerState;
  /** Reads the slots back to the CPU so exportState's synchronous reads work on a GPU backend. */
  download(): Promise<void>;
  /** Restores state from {@link exportState} (same graph and kind), replacing the current one. */
  loadState(s: OptimizerState): void;
  dispose(): void;
}

const fusedKernel = (name: string, ...ts: tf.Tensor[]) => ts.every((x) => x.dtype === 'float32') && tf.getKernel(name, tf.getBackend()) !== undefined;
const runKernel = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => tf.engine().runKernel(name, inputs, attrs) as tf.Tensor[];

/**
 * PyTorch's SGD step for one weight: [v', buf'] (buf' undefined without momentum). One kernel
 * where the backend has it (cpu: kernels/optim.ts, bit-identical to the ops), else tfjs ops.
 */
export function sgdUpdate(v: tf.Tensor, g: tf.Tensor, buf: tf.Tensor | undefined, lr: number, wd: number, mom: number, nesterov: boolean): [tf.Tensor, tf.Tensor | undefined] {
  if (buf && mom > 0 && fusedKernel(SGD_STEP, v, g, buf)) {
    const [nv, nb] = runKernel(SGD_STEP, { v, g, buf }, { lr, wd, mom, nesterov });
    return [nv, nb];
  }
  let d: tf.Tensor = wd > 0 ? tf.add(g, tf.mul(v, wd)) : g;
  let nb: tf.Tensor | undefined;
  if (buf && mom > 0) {
    // PyTorch: buf = g on the first step, then buf = μ·buf + g (no dampening); zeros make both one rule.
    nb = tf.add(tf.mul(buf, mom), d);
    d = nesterov ? tf.add(d, tf.mul(nb, mom)) : nb;
  }
  return [tf.sub(v, tf.mul(d, lr)), nb];
}

/** AdamW's step (decoupled decay) for one weight at step t: [v', m', s']; one kernel where the backend has it. */
export function adamWUpdate(
  v: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  s: tf.Tensor,
  o: { lr: number; wd: number; b1: number; b2: number; eps: number; t: number },
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const { lr, wd, b1, b2, eps, t } = o;
  if (fusedKernel(ADAMW_STEP, v, g, m, s)) {
    const [nv, nm, ns] = runKernel(ADAMW_STEP, { v, g, m, s }, { lr, wd, b1, b2, eps, c1: 1 - b1 ** t, c2: 1 - b2 ** t });
    return [nv, nm, ns];
  }
  const nm = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
  const ns = tf.add(tf.mul(s, b2), tf.mul(tf.square(g), 1 - b2));
  const mhat = tf.div(nm, 1 - b1 ** t);
  const denom = tf.add(tf.sqrt(tf.div(ns, 1 - b2 ** t)), eps);
  // Decoupled decay: w ← w − lr·wd·w, then the Adam step.
  const decayed = wd > 0 ? tf.mul(v, 1 - lr * wd) : v;
  return [tf.sub(decayed, tf.mul(tf.div(mhat, denom), lr)), nm, ns];
}

class SlotOptimizer implements Optimizer {
  readonly kind: OptimizerKind;
  private t = 0;
  private readonly slots = new Map<string, tf.Variable>();
  private readonly slotNames: string[];

  constructor(
    private readonly params: ParamStore,
    private readonly decay: Set<string>,
    private readonly o: OptimizerOptions,
  ) {
    this.kind = o.kind;
    this.slotNames = o.kind === 'sgd' ? ((o.momentum ?? 0.9) > 0 ? ['momentum'] : []) : ['m', 'v'];
    for (const [key, v] of params.trainable) {
      for (const s of this.slotNames) {
        const z = tf.zerosLike(v);
        this.slots.set(`${s}:${key}`, tf.variable(z, false));
        z.dispose();
      }
    }
  }

  get steps(): number {
    return this.t;
  }

  private slot(name: string, key: string): tf.Variable {
    const s = this.slots.get(`${name}:${key}`);
    if (!s) throw new Error(`optimizer: no ${name} slot for ${key}`);
    return s;
  }

  step(grads: Map<string, tf.Tensor>, lr: number): void {
    this.t++;
    const t = this.t;
    tf.tidy(() => {
      for (const [key, v] of this.params.trainable) {
        const g = grads.get(key);
        if (!g) continue;
        const wd = this.decay.has(key) ? this.o.weightDecay : 0;
        if (this.o.kind === 'sgd') {
          const mom = this.o.momentum ?? 0.9;
          const buf = mom > 0 ? this.slot('momentum', key) : undefined;
          const [nv, nb] = sgdUpdate(v, g, buf, lr, wd, mom, this.o.nesterov === true);
          if (buf && nb) buf.assign(nb);
          v.assign(nv);
        } else {
          const b1 = this.o.beta1 ?? 0.9;
          const b2 = this.o.beta2 ?? 0.999;
          const m = this.slot('m', key);
          const s = this.slot('v', key);
          const [nv, nm, ns] = adamWUpdate(v, g, m, s, { lr, wd, b1, b2, eps: this.o.epsilon ?? 1e-8, t });
          m.assign(nm);
          s.assign(ns);
          v.assign(nv);
        }
      }
    });
  }

  async download(): Promise<void> {
    if (tf.getBackend() !== 'cpu') await Promise.all([...this.slots.values()].map((v) => v.data()));
  }

  exportState(): OptimizerState {
    const slots = new Map<string, Float32Array>();
    for (const [k, v] of this.slots) slots.set(k, Float32Array.from(v.dataSync()));
    return { kind: this.kind, t: this.t, slots };
  }

  loadState(s: OptimizerState): void {
    if (s.kind !== this.kind) throw new Error(`optimizer: the saved state is for ${s.kind}, this optimiser is ${this.kind}`);
    for (const [k, v] of this.slots) {
      const a = s.slots.get(k);
      if (!a || a.length !== v.size) throw new Error(`optimizer: the saved state has no matching ${k}`);
      tf.tidy(() => v.assign(tf.tensor(a, v.shape)));
    }
    this.t = s.t;
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

/** An optimiser over every trainable variable of `params` (made from `g`). The caller disposes it. */
export function createOptimizer(g: Graph, params: ParamStore, o: OptimizerOptions): Optimizer {
  return new SlotOptimizer(params, decayedKeys(g), o);
}
