/**
 * The dataset contract every reader (IDX, CIFAR binary, ImageFolder, builtin) fulfils, and the
 * reader module shape (`match` + `open`, one module per format).
 */
import type { Preprocessing } from '../model/ir.js';

export interface Sample {
  /** HWC after preprocessing. */
  image: Float32Array;
  label: number;
  /** File path, or `file#index` for records inside a file. */
  id: string;
}

/** One batch: the images that decoded, in the order of the requested indices, and those that did not. */
export interface Batch {
  /** NHWC, n = y.length (may be 0 when every image of the batch was skipped). */
  x: Float32Array;
  y: Int32Array;
  ids: string[];
  skipped: { id: string; reason: string }[];
}

export interface Dataset {
  name: string;
  /** Where the data came from (folder or file path, and for builtins which copy was used). */
  source: string;
  split: 'train' | 'test';
  classes: string[];
  /** Number of records (including any later skipped). */
  size: number;
  /** [H, W, C] of every preprocessed image. */
  sampleShape: [number, number, number];
  /**
   * Streams batches for the given indices in their given order, `batchSize` indices per batch
   * (so a batch holds fewer images when some were skipped). Never holds the whole set in memory
   * for folders: images are decoded per batch.
   */
  batches(indices: number[], batchSize: number): AsyncIterable<Batch>;
  /** All labels, for balanced sampling; −1 marks a record whose label is out of range. */
  labels(): Promise<Int32Array>;
  /** Problems found while opening (e.g. out-of-range labels, empty classes, images skipped for their size), one sentence each. */
  warnings?: string[];
  /** Facts worth a line that are not problems (e.g. classes mapped to the model's labels by name). */
  notes?: string[];
  /** Identifies the images read: two opens give the same string exactly when they read the same images. */
  images?: string;
  /** Images left out when opening because the pipeline makes them another size than `sampleShape`. */
  sizeSkipped?: { count: number; of: number; sizes: string[] };
}

export interface DataOptions {
  /** Folder path or builtin name (`fashion-mnist`). */
  data: string;
  /** Default 'train'. */
  split?: 'train' | 'test';
  /** Calibration/eval subset size (see sampleIndices); undefined = all. */
  limit?: number;
  seed?: number;
  /** Where builtin datasets are looked up first. */
  dataDir?: string;
  preprocess: Preprocessing;
  /**
   * The [H, W, C] the images must have after preprocessing (the model's input). When the pipeline's
   * output size depends on the input size (no CenterCrop or fixed Resize at the end), each image
   * is kept or skipped by its own size; without it the first image decides.
   */
  inputShape?: [number, number, number];
}

/** One module per on-disk format. */
export interface DatasetReader {
  name: string;
  /** Whether `dir` (an existing folder) looks like this format; cheap (file names only). */
  match(dir: string): boolean;
  open(dir: string, o: DataOptions): Promise<Dataset>;
}
