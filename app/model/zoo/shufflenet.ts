/**
 * SE-ShuffleNet (ShuffleNetV1, Zhang et al. 2018, g = 3): each unit is 1×1 group conv → BN →
 * ReLU → channel shuffle → 3×3 depthwise (stride) → BN → 1×1 group conv → BN, then the SE block
 * on that branch output (before the join, as in SE-ResNet), then the join: identity add at
 * stride 1, concat with a 3×3/2 average-pooled shortcut at stride 2, then ReLU. Bottleneck width
 * is a quarter of the unit's output; the first unit of stage 2 uses an ungrouped first 1×1 conv
 * (the paper: its input has only 24 channels).
 */
import type { Graph } from '../ir.js';
import { GraphBuilder } from './builder.js';
import { isSmallInput, seHidden, type ZooConfig } from './config.js';

export interface ShuffleNetV1Spec {
  groups: number;
  stem: number;
  /** Output channels per stage (2, 3, 4) at width 1× for the chosen groups. */
  stageOut: number[];
  units: number[];
}

export const SHUFFLENET_V1_G3: ShuffleNetV1Spec = { groups: 3, stem: 24, stageOut: [240, 480, 960], units: [4, 8, 4] };
export const SHUFFLENET_V1_DEMO: ShuffleNetV1Spec = { groups: 3, stem: 24, stageOut: [120, 240], units: [2, 2] };

export function buildSeShuffleNet(name: string, spec: ShuffleNetV1Spec, cfg: ZooConfig): Graph {
  const g = spec.groups;
  const b = new GraphBuilder(name, cfg.input, cfg.seed);
  // Widths must stay divisible by 4·g so the bottleneck and both group convs split evenly.
  const w = (c: number) => Math.max(4 * g, Math.round((c * cfg.width) / (4 * g)) * 4 * g);
  const small = isSmallInput(cfg);
  b.stage = 'stem';
  let x = b.convBnAct(b.input, spec.stem, 3, 'relu', { stride: small ? 1 : 2 });
  if (!small) x = b.pool(x, 'max', 3, 2, 1);
  spec.stageOut.forEach((outRaw, si) => {
    const out = w(outRaw);
    const mid = out / 4;
    b.stage = `stage${si + 2}`;
    for (let ui = 0; ui < spec.units[si]; ui++) {
      b.block = `${b.stage}.unit${ui}`;
      const stride = ui === 0 ? 2 : 1;
      const inC = b.channels(x);
      const branchOut = stride === 2 ? out - inC : out;
      const firstGroups = si === 0 && ui === 0 ? 1 : g;
      let y = b.convBnAct(x, mid, 1, 'relu', { groups: firstGroups, name: 'gconv1' });
      y = b.shuffle(y, g, 'shuffle');
      y = b.bn(b.conv(y, mid, 3, { stride, groups: mid, name: 'dw' }), 'dw_bn');
      y = b.bn(b.conv(y, branchOut, 1, { groups: g, name: 'gconv2' }), 'gconv2_bn');
      if (cfg.se) y = b.se(y, seHidden(branchOut, cfg.r), { bias: cfg.seBias, name: 'se' });
      const joined = stride === 2 ? b.concat([b.pool(x, 'avg', 3, 2, 1, true), y], 'concat') : b.sum([y, x], 'add');
      x = b.act(joined, 'relu', 'out');
    }
  });
  b.block = '';
  b.stage = 'head';
  const logits = b.dense(b.flatten(b.globalAvgPool(x)), cfg.classes, 'classifier');
  return b.build([logits], { family: 'se-shufflenet', groups: g });
}
