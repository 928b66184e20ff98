/**
 * First-order Taylor importance (Molchanov et al. 2019): the loss change from removing a
 * channel is approximated by (Σ w·∂L/∂w)² over every weight that belongs to the channel: its
 * filters and bias in the group's producers and its γ/β in the BNs it flows through. Gradients
 * are the mean over the calibration batches (pruning/stats/gradients.ts), passed in the context.
 */
import type { Criterion } from './types.js';
import { CalibrationMissingError } from '../../app/model/errors.js';

export const taylor: Criterion = {
  name: 'taylor',
  summary: 'first-order Taylor (Σ w·∂L/∂w)² of each channel\'s weights (a gradient pass on 64 images)',
  needs: { gradients: true },
  score(group, ctx) {
    const grads = ctx.gradients;
    if (!grads) throw new CalibrationMissingError('The taylor criterion needs a gradient pass over calibration data', 'prune');
    const out = new Float64Array(group.size);
    const byName = new Map(ctx.graph.nodes.map((n) => [n.name, n]));
    const add = (tensor: string, w: Float32Array, gr: Float32Array | undefined, O: number) => {
      const t = group.tensors.find((x) => x.tensor === tensor);
      if (!t || !gr) return;
      for (let i = 0; i < group.size; i++) {
        let s = 0;
        for (let k = 0; k < t.per; k++) {
          const o = t.index[i * t.per + k];
          for (let p = o; p < w.length; p += O) s += w[p] * gr[p];
        }
        out[i] += s;
      }
    };
    for (const name of [...group.producers, ...group.passthrough]) {
      const n = byName.get(name);
      if (!n) continue;
      if (n.kind === 'conv2d' && group.producers.includes(name)) {
        add(name, n.weights.kernel, grads.get(`${name}/kernel`), n.attrs.filters);
        if (n.weights.bias) add(name, n.weights.bias, grads.get(`${name}/bias`), n.attrs.filters);
      } else if (n.kind === 'dense' && group.producers.includes(name)) {
        add(name, n.weights.kernel, grads.get(`${name}/kernel`), n.attrs.units);
        if (n.weights.bias) add(name, n.weights.bias, grads.get(`${name}/bias`), n.attrs.units);
      } else if (n.kind === 'batchnorm') {
        const C = n.weights.gamma.length;
        add(name, n.weights.gamma, grads.get(`${name}/gamma`), C);
        add(name, n.weights.beta, grads.get(`${name}/beta`), C);
      }
    }
    for (let i = 0; i < out.length; i++) out[i] = out[i] * out[i];
    return out;
  },
};
