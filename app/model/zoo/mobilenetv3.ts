/**
 * Inverted-residual SE-MobileNet in the MobileNetV3 style (Howard et al. 2019): 1×1 expand →
 * depthwise k×k → SE on the expanded channels (hard-sigmoid gate, ReLU inside, hidden =
 * make_divisible(expanded / r, 8), FC biases as torchvision) → 1×1 project, with an identity
 * add when stride is 1 and widths match. The full model is MobileNetV3-Small's table.
 */
import type { ActivationFn, Graph } from '../ir.js';
import { GraphBuilder } from './builder.js';
import { isSmallInput, makeDivisible, type ZooConfig } from './config.js';

/** kernel, expanded width, output width, SE, activation, stride. */
export type InvertedResidualRow = [number, number, number, boolean, 'RE' | 'HS', number];

export const MOBILENET_V3_SMALL: { stem: number; rows: InvertedResidualRow[]; lastConv: number; head: number } = {
  stem: 16,
  rows: [
    [3, 16, 16, true, 'RE', 2],
    [3, 72, 24, false, 'RE', 2],
    [3, 88, 24, false, 'RE', 1],
    [5, 96, 40, true, 'HS', 2],
    [5, 240, 40, true, 'HS', 1],
    [5, 240, 40, true, 'HS', 1],
    [5, 120, 48, true, 'HS', 1],
    [5, 144, 48, true, 'HS', 1],
    [5, 288, 96, true, 'HS', 2],
    [5, 576, 96, true, 'HS', 1],
    [5, 576, 96, true, 'HS', 1],
  ],
  lastConv: 576,
  head: 1024,
};

export const MOBILENET_V3_DEMO: typeof MOBILENET_V3_SMALL = {
  stem: 16,
  rows: [
    [3, 48, 24, true, 'RE', 2],
    [3, 72, 24, true, 'RE', 1],
    [5, 96, 40, true, 'HS', 2],
    [5, 120, 40, true, 'HS', 1],
    [5, 160, 48, true, 'HS', 1],
  ],
  lastConv: 192,
  head: 0,
};

export function buildSeMobileNetV3(name: string, spec: typeof MOBILENET_V3_SMALL, cfg: ZooConfig): Graph {
  const b = new GraphBuilder(name, cfg.input, cfg.seed);
  const w = (c: number) => makeDivisible(c * cfg.width, 8);
  const small = isSmallInput(cfg);
  b.stage = 'stem';
  let x = b.convBnAct(b.input, w(spec.stem), 3, 'hard-swish', { stride: small ? 1 : 2 });
  let stage = 1;
  spec.rows.forEach(([k, exp, out, useSe, nl, stride], i) => {
    if (stride === 2 && i > 0) stage++;
    b.stage = `stage${stage}`;
    b.block = `${b.stage}.block${i}`;
    const act: ActivationFn = nl === 'RE' ? 'relu' : 'hard-swish';
    const inC = b.channels(x);
    const e = w(exp);
    const o = w(out);
    let y = x;
    if (e !== inC) y = b.convBnAct(y, e, 1, act, { name: 'expand' });
    y = b.convBnAct(y, e, k, act, { stride, groups: e, name: 'dw' });
    if (useSe && cfg.se) {
      y = b.se(y, makeDivisible(e / cfg.r, 8), { gate: 'hard-sigmoid', bias: cfg.seBias, name: 'se' });
    }
    y = b.bn(b.conv(y, o, 1, { name: 'project' }), 'project_bn');
    x = stride === 1 && inC === o ? b.sum([y, x], 'add') : y;
  });
  b.block = '';
  b.stage = 'head';
  x = b.convBnAct(x, w(spec.lastConv), 1, 'hard-swish', { name: 'last_conv' });
  x = b.flatten(b.globalAvgPool(x));
  if (spec.head > 0) x = b.act(b.dense(x, spec.head, 'pre_classifier'), 'hard-swish');
  const logits = b.dense(x, cfg.classes, 'classifier');
  return b.build([logits], { family: 'se-mobilenetv3' });
}
