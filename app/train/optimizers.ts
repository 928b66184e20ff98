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
    // One kernel per weight where the backend has it (cpu: kernels/optim.ts, bit-identical to the ops below).
    const backend = tf.getBackend();
    const fused = (name: string) => tf.getKernel(name, backend) !== undefined;
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => tf.engine().runKernel(name, inputs, attrs) as tf.Tensor[];
    const fusedSgd = this.o.kind === 'sgd' && (this.o.momentum ?? 0.9) > 0 && fused(SGD_STEP);
    const fusedAdamW = this.o.kind === 'adamw' && fused(ADAMW_STEP);
    tf.tidy(() => {
      for (const [key, v] of this.params.trainable) {
        const g = grads.get(key);
        if (!g) continue;
        const wd = this.decay.has(key) ? this.o.weightDecay : 0;
        if (g.dtype === 'float32' && fusedSgd) {
          const buf = this.slot('momentum', key);
          const [nv, nb] = run(SGD_STEP, { v, g, buf }, { lr, wd, mom: this.o.momentum ?? 0.9, nesterov: this.o.nesterov === true });
          buf.assign(nb);
          v.assign(nv);
        } else if (g.dtype === 'float32' && fusedAdamW) {
          const b1 = this.o.beta1 ?? 0.9;
          const b2 = this.o.beta2 ?? 0.999;
          const m = this.slot('m', key);
          const s = this.slot('v', key);
          const [nv, nm, ns] = run(ADAMW_STEP, { v, g, m, s }, { lr, wd, b1, b2, eps: this.o.epsilon ?? 1e-8, c1: 1 - b1 ** t, c2: 1 - b2 ** t });
          m.assign(nm);
          s.assign(ns);
          v.assign(nv);
        } else if (this.o.kind === 'sgd') {
          const mom = this.o.momentum ?? 0.9;
          let d: tf.Tensor = wd > 0 ? tf.add(g, tf.mul(v, wd)) : g;
          if (mom > 0) {
            const buf = this.slot('momentum', key);
            // PyTorch: buf = g on the first step, then buf = μ·buf + g (no dampening); zeros make both one rule.
            const nb = tf.add(tf.mul(buf, mom), d);
            buf.assign(nb);
            d = this.o.nesterov ? tf.add(d, tf.mul(nb, mom)) : nb;
          }
          v.assign(tf.sub(v, tf.mul(d, lr)));
        } else {
          const b1 = this.o.beta1 ?? 0.9;
          const b2 = this.o.beta2 ?? 0.999;
          const eps = this.o.epsilon ?? 1e-8;
          const m = this.slot('m', key);
          const s = this.slot('v', key);
          const nm = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
          const ns = tf.add(tf.mul(s, b2), tf.mul(tf.square(g), 1 - b2));
          m.assign(nm);
          s.assign(ns);
          const mhat = tf.div(nm, 1 - b1 ** t);
          const denom = tf.add(tf.sqrt(tf.div(ns, 1 - b2 ** t)), eps);
          // Decoupled decay: w ← w − lr·wd·w, then the Adam step.
          const decayed = wd > 0 ? tf.mul(v, 1 - lr * wd) : v;
          v.assign(tf.sub(decayed, tf.mul(tf.div(mhat, denom), lr)));
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
