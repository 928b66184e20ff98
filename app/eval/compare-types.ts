/**
 * The compare report's values: plain data with no Node or DOM dependency, so the API contract and
 * the renderer (which draws its plots) use these very types instead of copies.
 */

export interface ComparePerClass {
  label: number;
  name: string;
  n: number;
  top1: number;
}

export interface CompareRow {
  model: string;
  engine: string;
  n: number;
  top1: number;
  top5: number;
  perClass: ComparePerClass[];
  params: number;
  macs: number;
  /** Size of the model's .seprune encoding (what saving it would write), or of the file opened. */
  fileBytes: number;
  /** Median milliseconds per image at batch 1 on the CPU; null when latency was skipped. */
  latencyMs: number | null;
}

/** A row minus the first row (so the first model's differences are all zero). */
export interface CompareDiff {
  model: string;
  top1: number;
  top5: number;
  /** Per-class top-1 differences, in the order of the classes. */
  perClass: number[];
  params: number;
  macs: number;
  fileBytes: number;
  latencyMs: number | null;
}

export interface CompareReport {
  data: { name: string; source: string; split: string; n: number };
  classNames: string[];
  rows: CompareRow[];
  diffs: CompareDiff[];
}
