/**
 * SE-ResNet (Hu et al. 2018, Fig. 3): the SE block rescales the residual branch's output after
 * its last BN and before the identity add. Basic blocks for depths 18/34, bottlenecks (stride on
 * the 3×3, torchvision's v1.5) for 50/101. Inputs under 64 px get a CIFAR stem (3×3 conv, no
 * max-pool) instead of the 7×7/2 + max-pool ImageNet stem.
 */
import type { Graph } from '../ir.js';
import { GraphBuilder } from './builder.js';
import { isSmallInput, seHidden, type ZooConfig } from './config.js';

export interface ResNetSpec {
  block: 'basic' | 'bottleneck';
  /** Blocks per stage. */
  layers: number[];
  /** Base widths per stage before the width multiplier (64, 128, 256, 512 for ImageNet). */
  widths: number[];
  stemWidth: number;
}

export const RESNET_SPECS: Record<string, ResNetSpec> = {
  '18': { block: 'basic', layers: [2, 2, 2, 2], widths: [64, 128, 256, 512], stemWidth: 64 },
  '34': { block: 'basic', layers: [3, 4, 6, 3], widths: [64, 128, 256, 512], stemWidth: 64 },
  '50': { block: 'bottleneck', layers: [3, 4, 6, 3], widths: [64, 128, 256, 512], stemWidth: 64 },
  '101': { block: 'bottleneck', layers: [3, 4, 23, 3], widths: [64, 128, 256, 512], stemWidth: 64 },
  demo: { block: 'basic', layers: [1, 1, 1], widths: [16, 32, 64], stemWidth: 16 },
};

export function buildSeResNet(name: string, spec: ResNetSpec, cfg: ZooConfig): Graph {
  const b = new GraphBuilder(name, cfg.input, cfg.seed);
  const w = (c: number) => Math.max(1, Math.round(c * cfg.width));
  const small = isSmallInput(cfg);
  const expansion = spec.block === 'bottleneck' ? 4 : 1;

  b.stage = 'stem';
  let x = small
    ? b.convBnAct(b.input, w(spec.stemWidth), 3, 'relu')
    : b.convBnAct(b.input, w(spec.stemWidth), 7, 'relu', { stride: 2 });
  if (!small) x = b.pool(x, 'max', 3, 2, 1);

  spec.layers.forEach((n, si) => {
    b.stage = `stage${si + 1}`;
    const mid = w(spec.widths[si]);
    const out = mid * expansion;
    for (let bi = 0; bi < n; bi++) {
      b.block = `${b.stage}.block${bi}`;
      const stride = bi === 0 && si > 0 ? 2 : 1;
      let y: string;
      if (spec.block === 'basic') {
        y = b.convBnAct(x, mid, 3, 'relu', { stride, name: 'conv1' });
        y = b.bn(b.conv(y, out, 3, { name: 'conv2' }), 'bn2');
      } else {
        y = b.convBnAct(x, mid, 1, 'relu', { name: 'conv1' });
        y = b.convBnAct(y, mid, 3, 'relu', { stride, name: 'conv2' });
        y = b.bn(b.conv(y, out, 1, { name: 'conv3' }), 'bn3');
      }
      if (cfg.se) y = b.se(y, seHidden(out, cfg.r), { bias: cfg.seBias, name: 'se' });
      let shortcut = x;
      if (stride !== 1 || b.channels(x) !== out) {
        shortcut = b.bn(b.conv(x, out, 1, { stride, name: 'downsample' }), 'downsample_bn');
      }
      x = b.act(b.sum([y, shortcut], 'add'), 'relu', 'out');
    }
    b.block = '';
  });

  b.stage = 'head';
  const logits = b.dense(b.flatten(b.globalAvgPool(x)), cfg.classes, 'classifier');
  return b.build([logits], { family: 'se-resnet', block: spec.block, layers: spec.layers });
}
