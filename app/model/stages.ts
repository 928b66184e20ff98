/**
 * Stage and block labels for a graph whose format carries none (a Keras/TF.js model names its
 * layers flat: `conv2d_3`, `batch_normalization_3`): per-stage accounting and the app's diagram
 * would otherwise show one "other" stage. Stages follow the feature map's resolution, as a
 * network's own stages do: `stem` up to the first downsampling, then one stage per resolution
 * (`stage1` at the second resolution, …), and `head` from the first node whose output is no
 * longer a feature map (global pool, flatten, dense). Within a stage a block starts at every
 * conv or dense node, so each box is a layer with its batch norm and activation.
 */
import type { Graph } from './ir.js';
import { inferShapes } from './shapes.js';

/** Labels every node when no node has a stage; leaves a graph that has any label alone. */
export function labelStagesByResolution(g: Graph): void {
  if (g.nodes.some((n) => n.stage !== undefined)) return;
  const shapes = inferShapes(g);
  let stage = 'stem';
  let stages = 0;
  let resolution = '';
  let block = '';
  for (const n of g.nodes) {
    const s = shapes.get(n.name) ?? [];
    const isMap = s.length === 3 && (s[0] > 1 || s[1] > 1);
    // A node whose shape is not known by its name (a split's outputs) stays in the stage it is in.
    if (stage !== 'head' && s.length > 0) {
      const r = `${s[0]}x${s[1]}`;
      if (!isMap) stage = 'head';
      else if (resolution && r !== resolution) stage = `stage${++stages}`;
      resolution = r;
    }
    // A block starts at every conv or dense layer, and at a stage's first node.
    if (!block.startsWith(`${stage}.`) || n.kind === 'conv2d' || n.kind === 'dense') block = `${stage}.${n.name}`;
    n.stage = stage;
    n.block = stage === 'head' ? 'head' : block;
  }
}
