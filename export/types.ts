/**
 * The contract between the export writers (one per format), the verifiers and the `seprune export`
 * command: what a writer is given, what it returns, and how a written file is run in a runtime
 * this project did not write.
 */
import type { Graph, Preprocessing } from '../app/model/ir.js';

/** A writer's name (onnx, tflite, tfjs, pytorch, …): export/registry.ts lists the writers. */
export type ExportFormat = string;
export type Quant = 'fp32' | 'fp16' | 'int8';
export type CalibMethod = 'minmax' | 'percentile';

/** One batch of calibration images, NHWC float32 (after preprocessing), n samples. */
export interface CalibBatch {
  x: Float32Array;
  n: number;
}

/** Facts written into every exported file (ONNX metadata_props, TF.js userDefinedMetadata, ...). */
export interface ExportMetadata {
  labels?: string[];
  preprocessing?: Preprocessing;
  /** Content hash of the source model (app/model/graph-hash.ts). */
  sourceHash: string;
  source: string;
}

/** How TFLite writes hard-swish: the HARD_SWISH op, or ADD (+3, fused RELU6), MUL, MUL (×1/6), which XNNPACK runs in int8 (HARD_SWISH it runs in fp32 only). */
export type HardSwishForm = 'op' | 'decompose';

export interface ExportOptions {
  quant: Quant;
  meta: ExportMetadata;
  /** ONNX default-domain opset (13..17); other formats ignore it. */
  opset?: number;
  /** TFLite: hard-swish as the HARD_SWISH op (default) or as ADD, MUL, MUL, which XNNPACK runs in int8; other formats ignore it. */
  hardSwish?: HardSwishForm;
  /** Calibration images for int8; a fresh iterable per call (calibration may take several passes). */
  calib?: () => AsyncIterable<CalibBatch>;
  calibMethod?: CalibMethod;
  /**
   * Gate-aware precision for int8 (default true): measure each SE block's int8 gate path (FCs,
   * gate activation) on the calibration images (export/quantize/se-gate.ts) and report it. TFLite
   * keeps float exactly the blocks where int8 hurts; ONNX keeps every gate path float (as 'all':
   * in QDQ form a float gate path is smaller than an int8 one and never less accurate). 'all'
   * keeps every gate path float; false quantizes all of them and measures nothing.
   */
  gateAware?: boolean | 'all';
  /** TFLite int8: the input and output tensors as float32 (default; the file quantizes them) or int8 (the caller quantizes with the file's scale and zero point); other formats and precisions ignore it. */
  io?: 'float' | 'int8';
}

/** The gate-aware measurement of one SE block (export/quantize/se-gate.ts). */
export interface GateChoice {
  block: string;
  /** Whether the gate path stays float in the written file. */
  keptFloat: boolean;
  /** The measurement's verdict: int8 adds more than the tolerance (whether or not the writer followed it). */
  int8Hurts: boolean;
  /** |gate(int8 path) − gate(float)| over the calibration images: max and mean. */
  gateMaxAbsErr: number;
  gateMeanAbsErr: number;
  /** The int8 gate's mean error on the block output / the output's own mean int8 rounding error. */
  outputErrRatio: number;
}

/** The int8 filter granularity chosen for one TFLite conv / depthwise layer (export/tflite/granularity.ts). */
export interface WeightChoice {
  /** The IR node the filter belongs to (with the group index for grouped convs). */
  layer: string;
  op: 'CONV_2D' | 'DEPTHWISE_CONV_2D';
  channels: number;
  granularity: 'per-channel' | 'per-tensor';
  /** The layer's output noise std with per-tensor / with per-channel filters (null: not measured). */
  noiseRatio: number | null;
  /** Per-tensor only to meet the int8 size rule (models ≥ 100k parameters; export/size-rule.ts). */
  forSize?: boolean;
}

/** What a writer produced: one file, or the files of a folder (TF.js). */
export interface ExportArtifact {
  /** For a 'file' output exactly one entry (its name is ignored); for 'folder', names inside the folder. */
  files: { name: string; data: Uint8Array }[];
  /** Human-readable precision decisions (what stayed float, calibration ranges used, ...). */
  notes: string[];
  /** Tensors / nodes kept in float by gate-aware precision (int8 only). */
  keptFloat: string[];
  /** int8 with gate-aware precision: the measurement and decision for every SE block. */
  gates?: GateChoice[];
  /** TFLite int8: per-channel or per-tensor filters, per conv / depthwise layer. */
  weights?: WeightChoice[];
}

/** A written model opened in a runtime: logits [n, K] for an NHWC batch. */
export interface Runner {
  runtime: string;
  run(xNHWC: Float32Array, n: number): Promise<Float32Array>;
  /**
   * Batch-1 latency timed inside the runtime (no process or file hop): the median of `runs` runs
   * of one image after warm-up, and the threads the runtime used. Runners without it are timed
   * around `run` by the caller.
   */
  latency?(x1: Float32Array, runs: number): Promise<{ ms: number; runs: number; threads: number }>;
  /** Threads the runtime computes with (reported beside the latency). */
  threads?: number;
  /**
   * A slow reference runtime (Arm NN's CpuRef interpreter, ~0.1 s an image) is measured on the
   * first batches holding at least this many images, not on all of them; its report's `n` says so.
   */
  maxImages?: number;
  /** Set when this runtime refused the file (its one-sentence message); `run` then rejects. */
  refused?: string;
  /** A known fault of this runtime on this file (its numbers are reported, not trusted). */
  caveat?: string;
  release(): Promise<void>;
}

export interface Exporter {
  format: ExportFormat;
  quant: readonly Quant[];
  /** Whether `--out` names a file or a folder. */
  output: 'file' | 'folder';
  /** Conventional file extension (without dot) for a 'file' output, e.g. "onnx". */
  extension?: string;
  write(g: Graph, opts: ExportOptions): Promise<ExportArtifact>;
  /**
   * Opens the written file (or folder) at `path` in every runtime this format is verified with.
   * A runtime that refuses it throws a UserError whose message is the runtime's own, in one sentence.
   */
  open(path: string, g: Graph): Promise<Runner[]>;
  /**
   * The runtimes this format is also verified in when they are installed, which are not here:
   * one sentence each (what is missing and how to get it), printed with the export's notes.
   */
  absentRuntimes?(): string[];
}

export interface VerifyReport {
  runtime: string;
  n: number;
  /** Top-1 on the verification images (null when they carry no labels). */
  top1: number | null;
  /** Top-1 of the float IR model (executor) on the same images. */
  top1Float: number | null;
  /** Fraction of images whose argmax equals the float model's. */
  agreement: number;
  maxAbsDiff: number;
  bytes: number;
  /** Batch-1 median latency in this runtime (0: not measured). */
  latencyMs: number;
  /** How many timed batch-1 runs the median is over, and the runtime's threads. */
  latencyRuns?: number;
  threads?: number;
  /** Argmax agreement with the format's first runtime on the same images (second and later runtimes). */
  agreementWithFirst?: number;
  /** The runtime refused the file (its message); nothing else was measured. */
  refused?: string;
  /** A known fault of this runtime on this file (see Runner.caveat). */
  caveat?: string;
}
