/** The ONNX ops the importer reads: those it applies to feature maps and those it folds over constants. */
import { ModelError } from '../../model/errors.js';
import type { NodeProto } from '../../engine/onnx/schema.js';
import { nodeLabel } from './attrs.js';

/** Ops applied to feature maps. */
export const MAP_OPS = [
  'Conv', 'BatchNormalization', 'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Mul', 'Add', 'Sub', 'Div',
  'GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'Gemm', 'MatMul', 'Flatten', 'Reshape', 'Transpose', 'Concat',
  'Split', 'Slice', 'Squeeze', 'Unsqueeze', 'MaxPool', 'AveragePool', 'Identity', 'Dropout', 'Cast',
];
/** Ops folded when every input is constant (plus Shape of anything). */
export const CONST_OPS = [
  'Constant', 'ConstantOfShape', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Reshape', 'Identity',
  'Add', 'Sub', 'Mul', 'Div', 'Slice', 'Transpose', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Range', 'Equal',
  'Where', 'Expand', 'Min', 'Max', 'Flatten',
];
export const SUPPORTED_OPS = [...new Set([...MAP_OPS, ...CONST_OPS])].sort();

/** Float element types of ONNX TensorProto (FLOAT, FLOAT16, DOUBLE, BFLOAT16). */
export const FLOAT_TYPES = new Set([1, 10, 11, 16]);

export function unsupported(op: string, n: NodeProto): ModelError {
  return new ModelError(
    `The ONNX model uses the op ${op} (node "${nodeLabel(n)}"), which this tool cannot import; supported ops: ${SUPPORTED_OPS.join(', ')}.`,
  );
}
