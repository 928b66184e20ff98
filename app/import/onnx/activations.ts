/**
 * Turns the ways exporters spell activations into one `Act` pseudo-op: Relu, Clip(0, 6) → relu6,
 * Clip(0, ∞) → relu, Sigmoid, HardSigmoid(α, β), HardSwish, Mul(x, Sigmoid(x)) → swish,
 * Mul(x, HardSigmoid(x)) → hard-swish, relu6(x + 3) / 6 (Add, Clip, Div or Mul 1/6) →
 * hard-sigmoid, and x · relu6(x + 3) / 6 → hard-swish.
 */
import type { ActivationFn } from '../../model/ir.js';
import { type LiveGraph, type LiveNode, num, producersOf, readers, scalarOf } from './live.js';

const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));

function asAct(n: LiveNode, fn: ActivationFn, inputs: string[], alpha?: number, beta?: number): void {
  n.op = 'Act';
  n.fn = fn;
  n.inputs = inputs;
  n.p = alpha === undefined ? {} : { alpha, beta: beta ?? 0.5 };
}

const isStandardHardSigmoid = (n: LiveNode): boolean => n.fn === 'hard-sigmoid' && near(num(n, 'alpha'), 1 / 6) && near(num(n, 'beta'), 0.5);

export function fuseActivations(g: LiveGraph): void {
  for (const n of g.nodes) {
    switch (n.op) {
      case 'Relu':
        asAct(n, 'relu', [n.inputs[0]]);
        break;
      case 'Sigmoid':
        asAct(n, 'sigmoid', [n.inputs[0]]);
        break;
      case 'HardSwish':
        asAct(n, 'hard-swish', [n.inputs[0]]);
        break;
      case 'HardSigmoid':
        asAct(n, 'hard-sigmoid', [n.inputs[0]], num(n, 'alpha'), num(n, 'beta'));
        break;
      case 'Clip':
        if (num(n, 'min') === 0 && num(n, 'max') === 6) asAct(n, 'relu6', [n.inputs[0]]);
        else if (num(n, 'min') === 0 && num(n, 'max') === Infinity) asAct(n, 'relu', [n.inputs[0]]);
        break;
    }
  }
  const rd = readers(g);
  const prod = producersOf(g);
  const dead = new Set<LiveNode>();
  const sole = (v: string): boolean => (rd.get(v)?.length ?? 0) === 1 && v !== g.output;
  const dyn = (v: string | undefined): v is string => v !== undefined && v !== '' && !g.consts.has(v);
  /** The other input of a binary node whose one input is the scalar constant `k`. */
  const otherOf = (n: LiveNode | undefined, k: number): string | undefined => {
    if (!n) return undefined;
    const [a, b] = n.inputs;
    if (near(scalarOf(g, b), k) && dyn(a)) return a;
    if (near(scalarOf(g, a), k) && dyn(b)) return b;
    return undefined;
  };
  /** z when v = relu6(z + 3) with single-use intermediates. */
  const relu6Plus3 = (v: string | undefined): { z: string; nodes: LiveNode[] } | undefined => {
    if (!v || !sole(v)) return undefined;
    const clip = prod.get(v);
    if (!clip || clip.op !== 'Act' || clip.fn !== 'relu6' || !sole(clip.inputs[0])) return undefined;
    const add = prod.get(clip.inputs[0]);
    if (!add || add.op !== 'Add') return undefined;
    const z = otherOf(add, 3);
    return z ? { z, nodes: [clip, add] } : undefined;
  };
  for (const n of g.nodes) {
    if (dead.has(n)) continue;
    // y / 6 or y * (1/6)
    const sixth = n.op === 'Div' && dyn(n.inputs[0]) && near(scalarOf(g, n.inputs[1]), 6) ? n.inputs[0]
      : n.op === 'Mul' ? otherOf(n, 1 / 6) : undefined;
    if (sixth) {
      const hs = relu6Plus3(sixth);
      if (hs) {
        hs.nodes.forEach((d) => dead.add(d));
        asAct(n, 'hard-sigmoid', [hs.z], 1 / 6, 0.5);
        continue;
      }
      // (x · relu6(x + 3)) / 6
      const mul = sole(sixth) ? prod.get(sixth) : undefined;
      if (mul && mul.op === 'Mul') {
        for (const [x, y] of [[mul.inputs[0], mul.inputs[1]], [mul.inputs[1], mul.inputs[0]]]) {
          const r = relu6Plus3(y);
          if (r && r.z === x) {
            [...r.nodes, mul].forEach((d) => dead.add(d));
            asAct(n, 'hard-swish', [x]);
            break;
          }
        }
        if (n.op === 'Act') continue;
      }
    }
    if (n.op === 'Mul' && dyn(n.inputs[0]) && dyn(n.inputs[1])) {
      for (const [x, s] of [[n.inputs[0], n.inputs[1]], [n.inputs[1], n.inputs[0]]]) {
        const a = sole(s) ? prod.get(s) : undefined;
        if (!a || a.op !== 'Act' || a.inputs[0] !== x) continue;
        if (a.fn === 'sigmoid') {
          dead.add(a);
          asAct(n, 'swish', [x]);
          break;
        }
        if (isStandardHardSigmoid(a)) {
          dead.add(a);
          asAct(n, 'hard-swish', [x]);
          break;
        }
      }
    }
  }
  g.nodes = g.nodes.filter((n) => !dead.has(n));
}
