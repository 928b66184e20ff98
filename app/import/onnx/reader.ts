/** The ONNX {@link ModelReader}: `.onnx` files (or protobuf bytes that start like a ModelProto). */
import { extname } from 'node:path';
import type { ModelReader } from '../reader.js';
import { onnxToProject } from './import.js';

export const onnxReader: ModelReader = {
  name: '.onnx',
  extensions: ['.onnx'],
  match(path, head) {
    if (extname(path).toLowerCase() === '.onnx') return true;
    // ModelProto usually starts with ir_version (field 1, varint): 0x08.
    return head[0] === 0x08 && head.length > 2 && head[1] < 0x20 && extname(path) === '';
  },
  read(bytes, path) {
    return onnxToProject(bytes, path);
  },
};
