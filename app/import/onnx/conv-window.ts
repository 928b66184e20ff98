/** Window arithmetic of Conv and pooling nodes. */
import { ModelError } from '../../model/errors.js';
import type { NodeProto } from '../../engine/onnx/schema.js';
import { attrInt, attrInts, attrString, nodeLabel } from './attrs.js';

/** Strides, dilations, explicit pads (auto_pad resolved; ceil_mode as extra end padding) and output size. */
export function convWindow(n: NodeProto, size: [number, number], k: number[], pool: boolean) {
  const where = nodeLabel(n);
  const strides = attrInts(n, 'strides') ?? [1, 1];
  const dilations = attrInts(n, 'dilations') ?? [1, 1];
  let pads = attrInts(n, 'pads') ?? [0, 0, 0, 0];
  if (strides.length !== 2 || dilations.length !== 2 || pads.length !== 4 || [...strides, ...dilations].some((v) => v < 1) || pads.some((v) => v < 0)) {
    throw new ModelError(`The ONNX node "${where}" has invalid strides, dilations or pads.`);
  }
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = [0, 0, 0, 0];
    for (let d = 0; d < 2; d++) {
      const out = Math.ceil(size[d] / strides[d]);
      const total = Math.max(0, (out - 1) * strides[d] + dilations[d] * (k[d] - 1) + 1 - size[d]);
      const small = Math.floor(total / 2);
      pads[d] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[d + 2] = total - pads[d];
    }
  } else if (autoPad === 'VALID') {
    pads = [0, 0, 0, 0];
  }
  const ceil = pool && attrInt(n, 'ceil_mode', 0) === 1;
  const out: number[] = [];
  let ceilExtra = false;
  for (let d = 0; d < 2; d++) {
    const span = size[d] + pads[d] + pads[d + 2] - dilations[d] * (k[d] - 1) - 1;
    let o = Math.floor(span / strides[d]) + 1;
    if (ceil) {
      let oc = Math.ceil(span / strides[d]) + 1;
      // PyTorch/ONNX: the last window must start inside the input or the left padding.
      if ((oc - 1) * strides[d] >= size[d] + pads[d]) oc--;
      if (oc > o) {
        pads[d + 2] += (oc - 1) * strides[d] + dilations[d] * (k[d] - 1) + 1 - (size[d] + pads[d] + pads[d + 2]);
        ceilExtra = true;
        o = oc;
      }
    }
    if (o < 1 || span < 0) throw new ModelError(`The ONNX node "${where}" gets an input too small for its window.`);
    out.push(o);
  }
  return { strides, dilations, pads, out, ceilExtra };
}
