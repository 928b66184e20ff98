/**
 * The model readers `loadModel` (./load.ts) tries, in order; each is one format
 * (Netron-style `{ name, match, read }`).
 */
import type { ModelReader } from './reader.js';
import { onnxReader } from './onnx/reader.js';
import { tfjsReader } from './tfjs/reader.js';

export const modelReaders: readonly ModelReader[] = [onnxReader, tfjsReader];
