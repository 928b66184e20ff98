/**
 * One fuzz case: the files it writes (mutated bytes), the model and dataset it names (its own
 * files, or one of the seeds' prepared inputs), and the outcome of running it. Cases are plain
 * data, so a failing one is kept as a regression file (regressions/*.json) and re-run exactly.
 */
export const FORMATS = ['onnx', 'seprune', 'tfjs', 'idx', 'image'] as const;
export type Format = (typeof FORMATS)[number];

/** A path inside the case's own folder, or a prepared seed input (seeds.ts) by name. */
export type Ref = { file: string } | { seed: string };

export interface FuzzCase {
  format: Format;
  /** What the mutator did, e.g. "onnx: node 3 input 0 → 'x'" (for the report and the regression file). */
  what: string;
  /** Relative path → bytes. */
  files: Record<string, Uint8Array>;
  model: Ref;
  /** A dataset folder; absent: only `inspect` runs. */
  data?: Ref;
  /** Run `inspect` (model formats) before `eval --limit 20`. */
  inspect: boolean;
}

/** exit 0, one clear sentence (a UserError), a bug (any other error, or a UserError that is not one line), or the watchdog's verdicts. */
export type Outcome = 'ok' | 'sentence' | 'internal' | 'crash' | 'hang' | 'memory';
export const OUTCOMES: readonly Outcome[] = ['ok', 'sentence', 'internal', 'crash', 'hang', 'memory'];

export interface CaseResult {
  outcome: Outcome;
  /** The error's message (first 500 characters), or the watchdog's. */
  message?: string;
  /** The command that ended the case. */
  command?: 'inspect' | 'eval';
  ms: number;
}

/** A case as JSON (bytes as base64). */
export interface StoredCase extends Omit<FuzzCase, 'files'> {
  files: Record<string, string>;
}

export function storeCase(c: FuzzCase): StoredCase {
  return { ...c, files: Object.fromEntries(Object.entries(c.files).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
}

export function loadCase(s: StoredCase): FuzzCase {
  return { ...s, files: Object.fromEntries(Object.entries(s.files).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])) };
}

/** True for an outcome the fuzz suite counts as a defect. */
export const isDefect = (o: Outcome): boolean => o !== 'ok' && o !== 'sentence';
