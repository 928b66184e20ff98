/** A content hash that identifies a graph's exact structure and weights (statistics and exports record it). */
import { createHash } from 'node:crypto';
import type { Graph } from './ir.js';
import { nodeWeights } from './ir.js';

/** SHA-256 over the graph structure and weights (first 16 hex digits). */
export function graphHash(g: Graph): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ inputs: g.inputs, outputs: g.outputs, nodes: g.nodes.map((n) => ({ ...n, weights: undefined })) }));
  for (const n of g.nodes) for (const [, w] of nodeWeights(n)) h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  return h.digest('hex').slice(0, 16);
}
