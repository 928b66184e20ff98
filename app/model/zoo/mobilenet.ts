/**
 * SE-MobileNet (MobileNetV1, Howard et al. 2017, with SE as in the SENet paper's Table 3): every
 * depthwise-separable unit (3×3 depthwise → BN → ReLU → 1×1 pointwise → BN → ReLU) ends with an
 * SE block on the pointwise output. The network has no residual adds, so the gated channels are
 * exactly the pointwise conv's filters.
 */
import type { Graph } from '../ir.js';
import { GraphBuilder } from './builder.js';
import { isSmallInput, seHidden, type ZooConfig } from './config.js';

/** [output channels, stride] of each depthwise-separable unit. */
export type MobileNetUnits = [number, number][];

export const MOBILENET_V1_UNITS: MobileNetUnits = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

export const MOBILENET_DEMO_UNITS: MobileNetUnits = [[32, 1], [64, 2], [64, 1], [128, 2], [128, 1]];

export function buildSeMobileNet(name: string, units: MobileNetUnits, stemWidth: number, cfg: ZooConfig): Graph {
  const b = new GraphBuilder(name, cfg.input, cfg.seed);
  const w = (c: number) => Math.max(1, Math.round(c * cfg.width));
  b.stage = 'stem';
  let x = b.convBnAct(b.input, w(stemWidth), 3, 'relu', { stride: isSmallInput(cfg) ? 1 : 2 });
  let stage = 1;
  units.forEach(([out, stride], i) => {
    if (stride === 2 && i > 0) stage++;
    b.stage = `stage${stage}`;
    b.block = `${b.stage}.unit${i}`;
    const c = b.channels(x);
    x = b.convBnAct(x, c, 3, 'relu', { stride, groups: c, name: 'dw' });
    x = b.convBnAct(x, w(out), 1, 'relu', { name: 'pw' });
    if (cfg.se) x = b.se(x, seHidden(w(out), cfg.r), { bias: cfg.seBias, name: 'se' });
  });
  b.block = '';
  b.stage = 'head';
  const logits = b.dense(b.flatten(b.globalAvgPool(x)), cfg.classes, 'classifier');
  return b.build([logits], { family: 'se-mobilenet' });
}
