/** The number of logits (classes) of a graph's first output. */
import type { Graph } from '../app/model/ir.js';
import { inferShapes } from '../app/model/shapes.js';

export function logitCount(g: Graph): number {
  const s = inferShapes(g).get(g.outputs[0]) ?? [];
  return s.reduce((a, b) => a * b, 1);
}
