/**
 * SE-ShuffleNetV2 (Ma et al. 2018) with an SE block on the convolutional branch: a stride-1 unit
 * splits its input in half, runs 1×1 → BN → ReLU → 3×3 depthwise → BN → 1×1 → BN → ReLU → SE on
 * one half, concatenates the untouched half with the gated branch and shuffles (g = 2). A
 * stride-2 unit feeds the whole input to both branches (the left one is depthwise/2 → BN → 1×1 →
 * BN → ReLU). The SE-gated channels thus reach the next unit through concat and shuffle.
 */
import type { Graph } from '../ir.js';
import { GraphBuilder } from './builder.js';
import { isSmallInput, seHidden, type ZooConfig } from './config.js';

export interface ShuffleNetV2Spec {
  stem: number;
  stageOut: number[];
  units: number[];
  lastConv: number;
}

export const SHUFFLENET_V2_1X: ShuffleNetV2Spec = { stem: 24, stageOut: [116, 232, 464], units: [4, 8, 4], lastConv: 1024 };
export const SHUFFLENET_V2_DEMO: ShuffleNetV2Spec = { stem: 24, stageOut: [48, 96, 192], units: [2, 2, 2], lastConv: 256 };

export function buildSeShuffleNetV2(name: string, spec: ShuffleNetV2Spec, cfg: ZooConfig): Graph {
  const b = new GraphBuilder(name, cfg.input, cfg.seed);
  const w = (c: number) => Math.max(2, Math.round((c * cfg.width) / 2) * 2);
  const small = isSmallInput(cfg);
  b.stage = 'stem';
  let x = b.convBnAct(b.input, spec.stem, 3, 'relu', { stride: small ? 1 : 2 });
  if (!small) x = b.pool(x, 'max', 3, 2, 1);
  spec.stageOut.forEach((outRaw, si) => {
    const out = w(outRaw);
    const half = out / 2;
    b.stage = `stage${si + 2}`;
    for (let ui = 0; ui < spec.units[si]; ui++) {
      b.block = `${b.stage}.unit${ui}`;
      const stride = ui === 0 ? 2 : 1;
      let left: string;
      let right: string;
      if (stride === 1) {
        [left, right] = b.split(x, [b.channels(x) / 2, b.channels(x) / 2], 'split');
      } else {
        const c = b.channels(x);
        left = b.bn(b.conv(x, c, 3, { stride, groups: c, name: 'left_dw' }), 'left_dw_bn');
        left = b.convBnAct(left, half, 1, 'relu', { name: 'left_pw' });
        right = x;
      }
      let y = b.convBnAct(right, half, 1, 'relu', { name: 'pw1' });
      y = b.bn(b.conv(y, half, 3, { stride, groups: half, name: 'dw' }), 'dw_bn');
      y = b.convBnAct(y, half, 1, 'relu', { name: 'pw2' });
      if (cfg.se) y = b.se(y, seHidden(half, cfg.r), { bias: cfg.seBias, name: 'se' });
      x = b.shuffle(b.concat([left, y], 'concat'), 2, 'shuffle');
    }
  });
  b.block = '';
  b.stage = 'head';
  x = b.convBnAct(x, spec.lastConv, 1, 'relu', { name: 'conv5' });
  const logits = b.dense(b.flatten(b.globalAvgPool(x)), cfg.classes, 'classifier');
  return b.build([logits], { family: 'se-shufflenetv2' });
}
