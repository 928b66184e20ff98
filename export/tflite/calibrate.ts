/**
 * Calibration ranges for the int8 TFLite plan (MinMax): the calibration images run through the
 * IR executor, which captures every IR tensor a plan tensor's range comes from; derived ranges
 * (the SE block's inner vectors) are computed from the captured values, fixed ones taken as they
 * are. Images go through in chunks of a few so the captured tensors stay small.
 */
import { runGraph } from '../../app/engine/executor.js';
import type { Graph } from '../../app/model/ir.js';
import { UserError } from '../../app/model/errors.js';
import type { Plan } from './plan.js';

export interface Range {
  min: number;
  max: number;
}

export interface CalibBatch {
  x: Float32Array;
  n: number;
}

const CHUNK = 8;

function widen(r: Range, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < r.min) r.min = x;
    if (x > r.max) r.max = x;
  }
}

/** Ranges by plan tensor index, for every tensor with a range source. */
export async function calibratePlan(g: Graph, plan: Plan, batches: AsyncIterable<CalibBatch> | Iterable<CalibBatch>): Promise<{ ranges: Map<number, Range>; images: number }> {
  const ranges = new Map<number, Range>();
  const needed = new Set<string>();
  plan.tensors.forEach((t, i) => {
    if (!t.range) return;
    if (t.range.kind === 'fixed') ranges.set(i, { min: t.range.min, max: t.range.max });
    else {
      ranges.set(i, { min: Infinity, max: -Infinity });
      needed.add(t.range.kind === 'ir' ? t.range.name : t.range.from);
    }
  });
  const capture = [...needed];
  const per = g.inputs[0].shape.reduce((a, b) => a * b, 1);
  let images = 0;
  for await (const batch of batches) {
    for (let s = 0; s < batch.n; s += CHUNK) {
      const n = Math.min(CHUNK, batch.n - s);
      const { captured } = await runGraph(g, batch.x.subarray(s * per, (s + n) * per), n, capture);
      plan.tensors.forEach((t, i) => {
        const src = t.range;
        if (!src || src.kind === 'fixed') return;
        const v = src.kind === 'ir' ? captured.get(src.name)! : src.f(captured.get(src.from)!, n);
        widen(ranges.get(i)!, v);
      });
      images += n;
    }
  }
  if (images === 0) throw new UserError('The calibration set has no images; int8 quantization needs at least one.');
  return { ranges, images };
}
